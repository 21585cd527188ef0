using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Live;

/// <summary>
/// Dynamic registration with a go-livepeer orchestrator, from the environment:
/// <list type="table">
/// <item><term>LIVE_RUNNER_ORCHESTRATOR</term><description>the orchestrator's runner-facing base URL (<c>-liveRunnerAddr</c>, e.g. <c>https://orch:8935</c>); unset: no dynamic registration.</description></item>
/// <item><term>LIVE_RUNNER_SECRET / LIVE_RUNNER_SECRET_FILE</term><description>its <c>-orchSecret</c>, or a file holding it.</description></item>
/// <item><term>RUNNER_PUBLIC_URL</term><description>where the orchestrator reaches this runner, e.g. <c>http://runner:8000</c>.</description></item>
/// <item><term>LIVE_RUNNER_TLS_INSECURE=1</term><description>accept a self-signed orchestrator certificate (off by default).</description></item>
/// </list>
/// </summary>
internal sealed record LiveRunnerSettings(Uri Orchestrator, string Secret, Uri PublicUrl, bool TlsInsecure)
{
    public const string OrchestratorVariable = "LIVE_RUNNER_ORCHESTRATOR";
    public const string SecretVariable = "LIVE_RUNNER_SECRET";
    public const string SecretFileVariable = "LIVE_RUNNER_SECRET_FILE";
    public const string PublicUrlVariable = "RUNNER_PUBLIC_URL";
    public const string TlsInsecureVariable = "LIVE_RUNNER_TLS_INSECURE";

    /// <summary>Null when dynamic registration is off; a configuration error names what is missing.</summary>
    public static LiveRunnerSettings? FromVariables(Func<string, string?> read)
    {
        var orchestrator = read(OrchestratorVariable);
        if (string.IsNullOrWhiteSpace(orchestrator))
            return null;
        if (!Uri.TryCreate(orchestrator.Trim(), UriKind.Absolute, out var orchestratorUrl) || orchestratorUrl.Scheme is not ("http" or "https"))
            throw new RunnerConfigurationException($"{OrchestratorVariable} must be an absolute http(s) URL.");

        var secret = read(SecretVariable);
        if (string.IsNullOrEmpty(secret) && read(SecretFileVariable) is { Length: > 0 } file)
        {
            try
            {
                secret = File.ReadAllText(file).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RunnerConfigurationException($"{SecretFileVariable}: the file cannot be read ({e.GetType().Name}).", e);
            }
        }

        if (string.IsNullOrEmpty(secret))
            throw new RunnerConfigurationException($"{OrchestratorVariable} is set: set {SecretVariable} or {SecretFileVariable} to the orchestrator's -orchSecret.");

        var publicUrl = ParsePublicUrl(read(PublicUrlVariable), PublicUrlVariable);
        var insecure = read(TlsInsecureVariable)?.Trim() is "1" or "true" or "True";
        return new LiveRunnerSettings(orchestratorUrl, secret, publicUrl, insecure);
    }

    public static Uri ParsePublicUrl(string? value, string source)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new RunnerConfigurationException($"{source} is required: the URL the orchestrator reaches this runner at, e.g. http://runner:8000.");
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.Host.Length == 0)
            throw new RunnerConfigurationException($"{source} must be an absolute http(s) URL with a host, e.g. http://runner:8000.");
        return url;
    }

    /// <summary>Never the secret.</summary>
    public override string ToString() => $"LiveRunnerSettings {{ Orchestrator = {Orchestrator}, PublicUrl = {PublicUrl}, TlsInsecure = {TlsInsecure} }}";
}
