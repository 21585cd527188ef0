namespace Livepeer.Runner.Tests.Live;

/// <summary>
/// The proxy's way to the runner, set once the runner's in-memory server exists. <see cref="Hold"/> keeps the next
/// forwarded request from reaching the runner until released, so a proxy slot is in use for as long as a test needs.
/// </summary>
internal sealed class LateHandler : HttpMessageHandler
{
    private HttpMessageInvoker? _inner;
    private Gate? _gate;

    public HttpMessageHandler Inner
    {
        set => _inner = new HttpMessageInvoker(value);
    }

    public Gate Hold() => _gate = new Gate();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _gate, null) is { } gate)
            await gate.PassAsync();
        return await (_inner ?? throw new InvalidOperationException("the runner is not started")).SendAsync(request, cancellationToken);
    }
}

internal sealed class Gate
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Entered => _entered.Task.WaitAsync(TimeSpan.FromSeconds(60));

    public void Release() => _released.TrySetResult();

    public Task PassAsync()
    {
        _entered.TrySetResult();
        return _released.Task;
    }
}
