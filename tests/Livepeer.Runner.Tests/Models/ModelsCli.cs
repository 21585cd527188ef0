using Livepeer.Runner.Models;

namespace Livepeer.Runner.Tests.Models;

/// <summary>Runs <c>models …</c> in-process as Program.cs does, with its own variables and captured output.</summary>
internal static class ModelsCli
{
    public static async Task<(int Exit, string Output, string Error)> RunAsync(IReadOnlyDictionary<string, string> variables, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ModelsCommand.RunAsync(["models", .. args], name => variables.GetValueOrDefault(name), output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
