using System.Collections.Concurrent;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Pipelines.Diffusion;
using Livepeer.Runner.Pipelines.Diffusion.Lora;

namespace Livepeer.Runner.Models;

/// <summary>
/// LoRA adapters from the hub, as <c>models pull</c> fetches models: the repository's <c>*.safetensors</c> files
/// (bounded by RUNNER_LORA_MAX_BYTES) into the same cache under MODEL_DIR, verified before they are linked. With
/// RUNNER_LORA_DOWNLOADS=0 (or HF_HUB_OFFLINE=1) nothing is downloaded and only adapters already in the cache serve.
/// A repository is resolved once per process (its <c>main</c> at that time), by one download however many requests
/// ask for it at once; each waits for it at most RUNNER_MAX_QUEUE_WAIT_SECONDS, as it would for a model's turn, and
/// the download itself is given up after 30 minutes.
/// The file is diffusers' choice for <c>load_lora_weights(repo)</c>: the only top-level <c>.safetensors</c>, or
/// <c>pytorch_lora_weights.safetensors</c> among several. The repositories it downloads are bounded on disk together
/// (RUNNER_LORA_CACHE_BYTES, <see cref="LoraDiskCache"/>): one deleted is resolved (downloaded) again when next asked for.
/// </summary>
internal sealed partial class HubLoraSource(RunnerSettings settings, HubSettings hub, ILogger<HubLoraSource> logger) : ILoraSource, IDisposable
{
    private const string Revision = "main";
    private const string DiffusersWeightName = "pytorch_lora_weights.safetensors";

    /// <summary>How long one download may take before it is given up (a stalled connection must not hold the repository).</summary>
    private static readonly TimeSpan DownloadTimeout = TimeSpan.FromMinutes(30);

    private readonly HubCache _cache = new(settings.ModelDir);
    private readonly LoraDiskCache _downloads = new(new HubCache(settings.ModelDir), settings.LoraCacheBytes);
    private readonly HttpClient _http = HubClient.CreateHttp();
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _resolved = new(StringComparer.Ordinal);

    public async Task<string> LocateAsync(string repo, CancellationToken cancellationToken)
    {
        var resolution = _resolved.GetOrAdd(repo, r => new Lazy<Task<string>>(() => Task.Run(() => ResolveAsync(r))));
        try
        {
            var file = await resolution.Value.WaitAsync(settings.MaxQueueWait, cancellationToken).ConfigureAwait(false);
            _downloads.Used(repo);
            return file;
        }
        catch (TimeoutException)
        {
            throw new LoraException($"Unable to load LoRas for adapter '{repo}'.");
        }
        catch (LoraException)
        {
            _resolved.TryRemove(KeyValuePair.Create(repo, resolution)); // the next request tries again
            throw;
        }
    }

    // Detached from the requests' tokens: one caller leaving must not cancel the download for the others.
    private async Task<string> ResolveAsync(string repo)
    {
        using var timeout = new CancellationTokenSource(DownloadTimeout);
        try
        {
            var request = new PullRequest(repo, Revision, ["*.safetensors"], "fp32", MaxBytes: settings.LoraMaxBytes);
            PullResult pulled;
            if (!settings.LoraDownloads || hub.Offline)
                pulled = OfflineCache.Confirm(_cache, request);
            else
            {
                var created = !Directory.Exists(_cache.RepoFolder(repo)); // one already there was pulled by the operator
                pulled = await new ModelPuller(new HubClient(_http, hub), _cache, new LineProgress(TextWriter.Null))
                    .PullAsync(request, timeout.Token).ConfigureAwait(false);
                LogDownloaded(repo, pulled.Commit, pulled.Bytes);
                foreach (var deleted in _downloads.Pulled(repo, created))
                {
                    _resolved.TryRemove(deleted, out _);
                    LogPruned(deleted, settings.LoraCacheBytes);
                }
            }

            return WeightFile(repo, pulled.Snapshot);
        }
        catch (HubException e) when (e.RepositoryNotFound)
        {
            LogRefused(e, repo);
            throw new LoraException($"LoRa repository '{repo}' not found.");
        }
        catch (Exception e) when (e is HubException or HttpRequestException or IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            LogRefused(e, repo);
            throw new LoraException($"Unable to load LoRas for adapter '{repo}'.");
        }
    }

    private static string WeightFile(string repo, string snapshot)
    {
        var files = Directory.EnumerateFiles(snapshot, "*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var chosen = files.Count == 1 ? files[0] : files.Contains(DiffusersWeightName) ? DiffusersWeightName : null;
        return chosen is not null
            ? Path.Combine(snapshot, chosen)
            : throw new HubException(files.Count == 0
                ? $"{repo} has no .safetensors file at its top level."
                : $"{repo} has several .safetensors files ({string.Join(", ", files)}) and none is {DiffusersWeightName}.");
    }

    public void Dispose() => _http.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "LoRA {Repo} downloaded at {Commit} ({Bytes} bytes)")]
    private partial void LogDownloaded(string repo, string commit, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "LoRA {Repo} deleted from MODEL_DIR, least recently used past RUNNER_LORA_CACHE_BYTES={Bytes}")]
    private partial void LogPruned(string repo, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "LoRA {Repo} could not be had (RUNNER_LORA_DOWNLOADS=0 allows only adapters already in MODEL_DIR)")]
    private partial void LogRefused(Exception error, string repo);
}
