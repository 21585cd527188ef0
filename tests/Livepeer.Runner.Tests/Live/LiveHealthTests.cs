using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Livepeer.Runner.Tests.Live;

/// <summary>A runner on a fake clock serving one model whose files are missing, so its load fails and backs off.</summary>
public sealed class FailingModelRunner : ConfiguredRunner
{
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

    protected override IEnumerable<object> Models() => [new { pipeline = "text-to-image", model_id = "SG161222/RealVisXL_V4.0_Lightning", warm = false }];

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Time);
}

public sealed class LiveHealthTests(FailingModelRunner runner) : IClassFixture<FailingModelRunner>
{
    private readonly HttpClient _client = runner.Host.CreateClient();

    [Fact]
    public async Task Health_GoesFalseWhileAFailedLoadBacksOff_AndRecoversWhenItMayLoadAgain()
    {
        using var before = await _client.GetAsync(LiveRunner.NoFiles + "/health");
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        using var failed = await _client.PostAsync(LiveRunner.NoFiles + "/text-to-image", Requests.Json("""{"prompt":"a cat"}"""));
        await failed.ReadErrorAsync(HttpStatusCode.InternalServerError);

        using var during = await _client.GetAsync(LiveRunner.NoFiles + "/health");
        var json = await during.ReadValidJsonAsync(HttpStatusCode.ServiceUnavailable, "HealthCheck");
        Assert.Equal("ERROR", json.GetProperty("status").GetString());

        runner.Time.Advance(TimeSpan.FromSeconds(6));
        using var after = await _client.GetAsync(LiveRunner.NoFiles + "/health");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
