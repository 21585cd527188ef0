using System.CommandLine;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Pipelines.Engines;
using Spectre.Console;

namespace Livepeer.Runner.Models;

/// <summary>
/// <c>models pull</c> and <c>models check</c>: the operator's commands for getting models into MODEL_DIR (the Hugging
/// Face cache layout the runner reads) and for checking a model folder before serving it. Exit codes: 0 done,
/// 1 a hub, download or check failure (the message says which and what to do), 2 a usage or configuration error,
/// 130 interrupted (downloads resume on the next pull).
/// </summary>
internal static class ModelsCommand
{
    public const string Name = "models";

    public static Task<int> RunAsync(string[] args, Func<string, string?> variables, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("Livepeer.Runner") { Models(variables, output, error) };
        var parsed = root.Parse(args);
        return parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    private static Command Models(Func<string, string?> variables, TextWriter output, TextWriter error)
    {
        var command = new Command(Name, "Fetch models from the Hugging Face hub into MODEL_DIR, and check model folders.");
        command.Subcommands.Add(Pull(variables, output, error));
        command.Subcommands.Add(ModelCheckCommand.Create(variables, output, error));
        return command;
    }

    private static Command Pull(Func<string, string?> variables, TextWriter output, TextWriter error)
    {
        var repo = new Argument<string?>("repo") { Arity = ArgumentArity.ZeroOrOne, Description = "A hub repository, org/name (or use --config)." };
        var revision = new Option<string>("--revision") { Description = "Branch, tag or commit.", DefaultValueFactory = _ => "main" };
        var include = new Option<string[]>("--include") { Description = "Only files matching these globs (fnmatch; repeatable).", AllowMultipleArgumentsPerToken = true };
        var dtype = new Option<string?>("--dtype") { Description = "Which ONNX dtype to take where a repository has several (default fp32, or the catalog's for --config)." };
        dtype.AcceptOnlyFromAmong([.. FileSelection.DtypeSuffixes.Keys]);
        var config = new Option<string?>("--config") { Description = "Pull every model of a MODELS_CONFIG / aiModels.json file that has no 'path'." };
        var modelDir = new Option<string?>("--model-dir") { Description = "The cache root (default: MODEL_DIR, else /models)." };
        var cacheAs = new Option<string?>("--as") { Description = "File the model in MODEL_DIR under this model id (the one the network asks for) instead of the repository's." };
        var jobs = new Option<int>("--jobs") { Description = "Files downloaded at once.", DefaultValueFactory = _ => 4 };
        jobs.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 64)
                r.AddError("--jobs must be between 1 and 64.");
        });

        var pull = new Command("pull", "Fetch a model repository (or every model of a config file) into MODEL_DIR, resumably and verified.")
        {
            repo, revision, include, dtype, config, modelDir, cacheAs, jobs,
        };
        pull.Validators.Add(r =>
        {
            if ((r.GetValue(repo) is null) == (r.GetValue(config) is null))
                r.AddError("Give either a repository (org/name) or --config <file>.");
            else if (r.GetValue(config) is not null && r.GetValue(cacheAs) is not null)
                r.AddError("--as names one model; it does not go with --config.");
        });
        pull.SetAction(async (result, cancellationToken) =>
        {
            var settings = HubSettings.FromVariables(variables);
            var cache = new HubCache(result.GetValue(modelDir) ?? variables("MODEL_DIR") ?? "/models");
            var includes = result.GetValue(include) ?? [];
            var requests = result.GetValue(config) is { } file
                ? FromConfig(file, result.GetValue(revision)!, includes, result.GetValue(dtype), output)
                : [new PullRequest(result.GetValue(repo)!, result.GetValue(revision)!, includes, result.GetValue(dtype) ?? DefaultDtype, result.GetValue(cacheAs))];
            return await PullAllAsync(requests, settings, cache, result.GetValue(jobs), output, error, cancellationToken).ConfigureAwait(false);
        });
        return pull;
    }

    private const string DefaultDtype = "fp32";

    /// <summary>
    /// One pull per entry without a path: the catalog's confirmed export filed under the entry's id when there is one
    /// (its dtype and files unless given on the command line), else the repository the id names.
    /// </summary>
    private static List<PullRequest> FromConfig(string path, string revision, IReadOnlyList<string> includes, string? dtype, TextWriter output)
    {
        var requests = new List<PullRequest>();
        foreach (var entry in ModelCatalogLoader.LoadFile(path))
        {
            if (entry.Path is not null)
                output.WriteLine($"{entry.ModelId}: has its own path ({entry.Path}); nothing to pull.");
            else if (EngineRegistry.Default.For(entry.Pipeline) is { } engine && !engine.NeedsFiles(entry))
                output.WriteLine($"{entry.ModelId}: the {engine.Name} engine needs no files; nothing to pull.");
            else if (requests.Any(r => r.CacheId == entry.ModelId))
                continue;
            else if (ExportCatalog.For(entry.ModelId) is { } export)
            {
                output.WriteLine($"{entry.ModelId}: the catalog's export is {export.Repo}; filing it under {entry.ModelId}.");
                requests.Add(new PullRequest(export.Repo, revision, includes.Count > 0 ? includes : export.Includes, dtype ?? export.Dtype ?? DefaultDtype, entry.ModelId));
            }
            else
                requests.Add(new PullRequest(entry.ModelId, revision, includes, dtype ?? DefaultDtype));
        }

        return requests;
    }

    private static async Task<int> PullAllAsync(IReadOnlyList<PullRequest> requests, HubSettings settings, HubCache cache, int jobs, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var failures = 0;
        foreach (var request in requests)
        {
            try
            {
                var result = settings.Offline
                    ? OfflineCache.Confirm(cache, request)
                    : await PullOneAsync(request, settings, cache, jobs, output, cancellationToken).ConfigureAwait(false);
                output.WriteLine($"{result.Repo}: {result.Files} files, {Sizes.Human(result.Bytes)} at {result.Commit} in {result.Snapshot}{(settings.Offline ? " (offline: from the cache)" : "")}");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await error.WriteLineAsync($"{request.CacheId}: interrupted; partial downloads are kept as blobs/*.incomplete and the next pull resumes them.").ConfigureAwait(false);
                return 130;
            }
            catch (HttpRequestException e)
            {
                failures++;
                await error.WriteLineAsync($"{request.CacheId}: could not reach {settings.Endpoint}: {e.Message} (HF_ENDPOINT names a mirror; HF_HUB_OFFLINE=1 uses only the cache).").ConfigureAwait(false);
            }
            catch (Exception e) when (e is HubException or IOException or RunnerConfigurationException)
            {
                failures++;
                await error.WriteLineAsync($"{request.CacheId}: {e.Message}").ConfigureAwait(false);
            }
        }

        return failures == 0 ? 0 : 1;
    }

    private static async Task<PullResult> PullOneAsync(PullRequest request, HubSettings settings, HubCache cache, int jobs, TextWriter output, CancellationToken cancellationToken)
    {
        using var http = HubClient.CreateHttp();
        var hub = new HubClient(http, settings);
        output.WriteLine($"{request.Repo}: pulling {request.Revision} from {settings.Endpoint} into {cache.Root}");
        if (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            PullResult? result = null;
            await AnsiConsole.Progress().AutoClear(false).Columns(
                    new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async context => result = await new ModelPuller(hub, cache, new BarProgress(context), jobs).PullAsync(request, cancellationToken).ConfigureAwait(false))
                .ConfigureAwait(false);
            return result!;
        }

        return await new ModelPuller(hub, cache, new LineProgress(output), jobs).PullAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
