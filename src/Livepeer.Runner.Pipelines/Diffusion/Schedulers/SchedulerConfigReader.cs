using System.Text.Json;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Diffusion.Schedulers;

/// <summary>Reads <c>scheduler_config.json</c> into a <see cref="SchedulerConfig"/>, filling missing keys with the named class's defaults.</summary>
public static class SchedulerConfigReader
{
    /// <param name="modelId">Named in the error when the file cannot be used.</param>
    public static SchedulerConfig Load(string path, string modelId)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new ModelLoadException(modelId, $"Cannot read scheduler config '{path}': {e.Message}", e);
        }

        return Parse(json, modelId);
    }

    public static SchedulerConfig Parse(string json, string modelId)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return Read(new Keys(document.RootElement, modelId));
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(modelId, $"The scheduler config is not valid JSON: {e.Message}", e);
        }
    }

    private static SchedulerConfig Read(Keys keys)
    {
        var className = keys.String("_class_name")
            ?? throw new ModelLoadException(keys.ModelId, "The scheduler config has no _class_name.");
        var defaults = ClassDefaults(className);
        return defaults with
        {
            NumTrainTimesteps = keys.Int("num_train_timesteps") ?? defaults.NumTrainTimesteps,
            BetaStart = keys.Double("beta_start") ?? defaults.BetaStart,
            BetaEnd = keys.Double("beta_end") ?? defaults.BetaEnd,
            BetaSchedule = keys.Enum("beta_schedule", BetaSchedules) ?? defaults.BetaSchedule,
            TrainedBetas = keys.DoubleArray("trained_betas"),
            PredictionType = keys.Enum("prediction_type", PredictionTypes) ?? defaults.PredictionType,
            TimestepSpacing = keys.Enum("timestep_spacing", Spacings) ?? defaults.TimestepSpacing,
            StepsOffset = keys.Int("steps_offset") ?? defaults.StepsOffset,
            SetAlphaToOne = keys.Bool("set_alpha_to_one") ?? defaults.SetAlphaToOne,
            ClipSample = keys.Bool("clip_sample") ?? defaults.ClipSample,
            ClipSampleRange = keys.Double("clip_sample_range") ?? defaults.ClipSampleRange,
            SkipPrkSteps = keys.Bool("skip_prk_steps") ?? defaults.SkipPrkSteps,
            UseKarrasSigmas = keys.Bool("use_karras_sigmas") ?? defaults.UseKarrasSigmas,
            SigmaMin = keys.Double("sigma_min"),
            SigmaMax = keys.Double("sigma_max"),
            TimestepType = keys.Enum("timestep_type", TimestepTypes) ?? defaults.TimestepType,
            InterpolationType = keys.Enum("interpolation_type", Interpolations) ?? defaults.InterpolationType,
            FinalSigmasType = keys.Enum("final_sigmas_type", FinalSigmas) ?? defaults.FinalSigmasType,
            AlgorithmType = keys.Enum("algorithm_type", Algorithms) ?? defaults.AlgorithmType,
            SolverType = keys.Enum("solver_type", SolverTypes) ?? defaults.SolverType,
            SolverOrder = keys.Int("solver_order") ?? defaults.SolverOrder,
            LowerOrderFinal = keys.Bool("lower_order_final") ?? defaults.LowerOrderFinal,
            EulerAtFinal = keys.Bool("euler_at_final") ?? defaults.EulerAtFinal,
            LambdaMinClipped = keys.Double("lambda_min_clipped") ?? defaults.LambdaMinClipped,
            OriginalInferenceSteps = keys.Int("original_inference_steps") ?? defaults.OriginalInferenceSteps,
            TimestepScaling = keys.Double("timestep_scaling") ?? defaults.TimestepScaling,
            VarianceType = keys.Enum("variance_type", VarianceTypes) ?? defaults.VarianceType,
            Thresholding = keys.Bool("thresholding") ?? defaults.Thresholding,
            RescaleBetasZeroSnr = keys.Bool("rescale_betas_zero_snr") ?? defaults.RescaleBetasZeroSnr,
            Shift = keys.Double("shift") ?? defaults.Shift,
            UseDynamicShifting = keys.Bool("use_dynamic_shifting") ?? defaults.UseDynamicShifting,
            BaseShift = keys.Double("base_shift") ?? defaults.BaseShift,
            MaxShift = keys.Double("max_shift") ?? defaults.MaxShift,
            BaseImageSeqLen = keys.Int("base_image_seq_len") ?? defaults.BaseImageSeqLen,
            MaxImageSeqLen = keys.Int("max_image_seq_len") ?? defaults.MaxImageSeqLen,
            TimeShiftType = keys.Enum("time_shift_type", TimeShiftTypes) ?? defaults.TimeShiftType,
            ShiftTerminal = keys.Double("shift_terminal"),
            InvertSigmas = keys.Bool("invert_sigmas") ?? defaults.InvertSigmas,
            StochasticSampling = keys.Bool("stochastic_sampling") ?? defaults.StochasticSampling,
            UseExponentialSigmas = keys.Bool("use_exponential_sigmas") ?? defaults.UseExponentialSigmas,
            UseBetaSigmas = keys.Bool("use_beta_sigmas") ?? defaults.UseBetaSigmas,
        };
    }

    /// <summary>The keyword defaults of each diffusers class's constructor, where they differ from the common ones.</summary>
    private static SchedulerConfig ClassDefaults(string className) => className switch
    {
        SchedulerClassNames.Ddim => new() { ClassName = className, ClipSample = true, SetAlphaToOne = true },
        SchedulerClassNames.Ddpm => new() { ClassName = className, ClipSample = true },
        SchedulerClassNames.Lcm => new()
        {
            ClassName = className, BetaStart = 0.00085, BetaEnd = 0.012, BetaSchedule = BetaSchedule.ScaledLinear, SetAlphaToOne = true,
        },
        SchedulerClassNames.EulerDiscrete or SchedulerClassNames.EulerAncestral or SchedulerClassNames.DpmSolverMultistep
            => new() { ClassName = className, TimestepSpacing = TimestepSpacing.Linspace },
        _ => new() { ClassName = className },
    };

    private static readonly Dictionary<string, BetaSchedule> BetaSchedules = new()
    {
        ["linear"] = BetaSchedule.Linear, ["scaled_linear"] = BetaSchedule.ScaledLinear, ["squaredcos_cap_v2"] = BetaSchedule.SquaredCosCapV2,
    };

    // "original_sample" is diffusers' older spelling of "sample", still accepted there.
    private static readonly Dictionary<string, PredictionType> PredictionTypes = new()
    {
        ["epsilon"] = PredictionType.Epsilon, ["v_prediction"] = PredictionType.VPrediction,
        ["sample"] = PredictionType.Sample, ["original_sample"] = PredictionType.Sample,
    };

    private static readonly Dictionary<string, TimestepSpacing> Spacings = new()
    {
        ["leading"] = TimestepSpacing.Leading, ["trailing"] = TimestepSpacing.Trailing, ["linspace"] = TimestepSpacing.Linspace,
    };

    private static readonly Dictionary<string, TimestepType> TimestepTypes = new()
    {
        ["discrete"] = TimestepType.Discrete, ["continuous"] = TimestepType.Continuous,
    };

    private static readonly Dictionary<string, SigmaInterpolation> Interpolations = new()
    {
        ["linear"] = SigmaInterpolation.Linear, ["log_linear"] = SigmaInterpolation.LogLinear,
    };

    private static readonly Dictionary<string, FinalSigmasType> FinalSigmas = new()
    {
        ["zero"] = FinalSigmasType.Zero, ["sigma_min"] = FinalSigmasType.SigmaMin,
    };

    private static readonly Dictionary<string, DpmAlgorithm> Algorithms = new()
    {
        ["dpmsolver++"] = DpmAlgorithm.DpmSolverPlusPlus, ["dpmsolver"] = DpmAlgorithm.DpmSolver,
    };

    private static readonly Dictionary<string, DpmSolverType> SolverTypes = new()
    {
        ["midpoint"] = DpmSolverType.Midpoint, ["heun"] = DpmSolverType.Heun,
    };

    private static readonly Dictionary<string, TimeShiftType> TimeShiftTypes = new()
    {
        ["exponential"] = TimeShiftType.Exponential, ["linear"] = TimeShiftType.Linear,
    };

    private static readonly Dictionary<string, DdpmVarianceType> VarianceTypes = new()
    {
        ["fixed_small"] = DdpmVarianceType.FixedSmall, ["fixed_large"] = DdpmVarianceType.FixedLarge,
    };

    /// <summary>Typed access to the JSON object; a JSON null counts as an absent key, as diffusers treats it.</summary>
    private readonly record struct Keys(JsonElement Root, string ModelId)
    {
        private JsonElement? Get(string name) =>
            Root.ValueKind == JsonValueKind.Object && Root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
                ? value
                : null;

        public string? String(string name) => Get(name) is { } v ? Expect(v, JsonValueKind.String, name).GetString() : null;

        public double? Double(string name) => Get(name) is { } v ? Expect(v, JsonValueKind.Number, name).GetDouble() : null;

        public int? Int(string name) => Get(name) is { } v ? (int)Expect(v, JsonValueKind.Number, name).GetDouble() : null;

        public bool? Bool(string name) => Get(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            _ => throw Invalid(name),
        };

        public IReadOnlyList<double>? DoubleArray(string name)
        {
            if (Get(name) is not { } array)
                return null;
            var values = new List<double>();
            foreach (var item in Expect(array, JsonValueKind.Array, name).EnumerateArray())
                values.Add(Expect(item, JsonValueKind.Number, name).GetDouble());
            return values;
        }

        public T? Enum<T>(string name, Dictionary<string, T> values) where T : struct =>
            String(name) is { } text
                ? values.TryGetValue(text, out var value)
                    ? value
                    : throw new ModelLoadException(ModelId, $"The scheduler config's {name} '{text}' is not supported; expected one of {string.Join(", ", values.Keys)}.")
                : null;

        private JsonElement Expect(JsonElement value, JsonValueKind kind, string name) =>
            value.ValueKind == kind ? value : throw Invalid(name);

        private ModelLoadException Invalid(string name) =>
            new(ModelId, $"The scheduler config's {name} has the wrong type.");
    }
}
