using System.CommandLine;
using Livepeer.Runner.Core.Configuration;
using Livepeer.Runner.Core.Errors;
using Livepeer.Runner.Core.Models;
using Livepeer.Runner.Pipelines.Checks;
using Livepeer.Runner.Pipelines.Engines;

namespace Livepeer.Runner.Models;

/// <summary>
/// <c>models check &lt;model_id|path&gt;</c>: whether a model folder is complete and every graph has the inputs and
/// outputs its engine reads (<see cref="ModelCheck"/>), read from the ONNX headers without loading weights. A model id is
/// found as the runner finds it (the MODELS_CONFIG entry's path, else MODEL_DIR's cache layout), and checked against
/// its entry's engine when MODELS_CONFIG lists it. Exit 0 when complete, 1 with problems, 2 when it cannot be found.
/// </summary>
internal static class ModelCheckCommand
{
    public static Command Create(Func<string, string?> variables, TextWriter output, TextWriter error)
    {
        var target = new Argument<string>("model") { Description = "A model id (org/name) or a model folder or .onnx file." };
        var config = new Option<string?>("--config") { Description = "A MODELS_CONFIG file naming the model's pipeline and path (default: MODELS_CONFIG)." };
        var modelDir = new Option<string?>("--model-dir") { Description = "The cache root (default: MODEL_DIR, else /models)." };
        var check = new Command("check", "Check that a model folder has every file and graph signature its engine needs.") { target, config, modelDir };
        check.SetAction(result =>
        {
            try
            {
                var (location, engine) = Resolve(result.GetValue(target)!, result.GetValue(config) ?? variables("MODELS_CONFIG"),
                    result.GetValue(modelDir) ?? variables("MODEL_DIR") ?? "/models");
                var report = ModelCheck.Run(location, EngineRegistry.Default, engine);
                output.WriteLine(report);
                return report.IsComplete ? 0 : 1;
            }
            catch (Exception e) when (e is ModelLoadException or RunnerConfigurationException)
            {
                error.WriteLine($"models check: {e.Message}");
                return 2;
            }
        });
        return check;
    }

    private static (string Location, IEngine? Engine) Resolve(string target, string? configPath, string modelDir)
    {
        if (File.Exists(target) || Directory.Exists(target))
            return (Path.GetFullPath(target), null);

        var entry = configPath is null ? null : ModelCatalogLoader.LoadFile(configPath).FirstOrDefault(e => e.ModelId == target);
        var engine = entry is null ? null : EngineRegistry.Default.For(entry.Pipeline);
        if (engine is not null && !engine.NeedsFiles(entry!))
            throw new ModelLoadException(target, $"{target} needs no files: the {engine.Name} engine brings it.");
        return (new ModelLocator(modelDir).Locate(entry ?? new ModelEntry("", target, Warm: false)), engine);
    }
}
