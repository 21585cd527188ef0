using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Hosting;
using Livepeer.Runner.Live;
using Livepeer.Runner.Models;

if (args is [RunnersJsonCommand.Name, .. var options])
{
    // The same configuration as serving: every setting comes from the environment (see RunnerSettings).
    var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
    return RunnersJsonCommand.Run(options, name => configuration[name], Console.Out, Console.Error);
}

if (args is [ModelsCommand.Name, ..])
{
    // Operator commands (pull, check): read the same environment (MODEL_DIR, HF_*), never start the web host.
    var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
    return await ModelsCommand.RunAsync(args, name => configuration[name], Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
try
{
    // Every setting comes from the environment (see RunnerSettings); configuration also carries the test host's overrides.
    builder.AddRunner(RunnerSettings.FromVariables(name => builder.Configuration[name]));
}
catch (RunnerConfigurationException error)
{
    await Console.Error.WriteLineAsync($"Livepeer.Runner: invalid configuration: {error.Message}");
    return 2;
}

var app = builder.Build();
try
{
    app.UseRunner();
}
catch (RunnerConfigurationException error)
{
    await Console.Error.WriteLineAsync($"Livepeer.Runner: invalid configuration: {error.Message}");
    return 2;
}

await app.RunAsync();
return Environment.ExitCode;

/// <summary>The entry point, visible to the integration tests' WebApplicationFactory.</summary>
public partial class Program;
