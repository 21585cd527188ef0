using System.Reflection;

namespace Livepeer.Runner.Hosting;

/// <summary>
/// The semver /version reports: env VERSION when set (ai-runner's images set it), else the build's version.
/// go-livepeer parses it to filter orchestrators by minimum runner version.
/// </summary>
internal sealed record RunnerVersion(string Value)
{
    public static RunnerVersion Resolve(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
            return new RunnerVersion(configured);
        var informational = typeof(RunnerVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        // Drop SourceLink's "+<commit>" build metadata: it is valid semver but noise in a version filter.
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return new RunnerVersion(plus < 0 ? informational : informational[..plus]);
    }
}
