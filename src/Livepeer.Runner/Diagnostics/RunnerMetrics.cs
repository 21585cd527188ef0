using Livepeer.Runner.Core.Models;
using Prometheus;

namespace Livepeer.Runner.Diagnostics;

/// <summary>
/// The runner's Prometheus metrics, on a registry owned by this host (not the process-wide default), so that
/// every test host and every process starts from zero. Labels carry only configured model ids, never raw
/// request input, so a client cannot blow up the series count.
/// </summary>
internal sealed class RunnerMetrics
{
    private readonly Counter _requests;
    private readonly Histogram _requestSeconds;
    private readonly Counter _loads;
    private readonly Counter _evictions;
    private readonly Histogram _loadSeconds;
    private readonly Gauge _resident;
    private readonly Gauge _modelBytes;
    private readonly Gauge _deviceUsed;
    private readonly Gauge _deviceTotal;
    private readonly Gauge _deviceBudget;
    private readonly Gauge _deviceReserved;
    private readonly Gauge _queueDepth;
    private readonly Gauge _inFlight;
    private readonly Histogram _queueWait;
    private readonly Counter _rejections;
    private readonly Histogram _denoiseStepSeconds;

    public RunnerMetrics(string version)
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);

        // ai-runner's own gauge, so dashboards built for it keep working.
        factory.CreateGauge("version", "Version of the runner.", "app", "version").WithLabels("ai-runner", version).Set(1);

        _requests = factory.CreateCounter("livepeer_runner_requests_total", "Pipeline requests answered, by status code.",
            "pipeline", "model_id", "status");
        _requestSeconds = factory.CreateHistogram("livepeer_runner_request_duration_seconds", "Time to answer a pipeline request.",
            new HistogramConfiguration
            {
                LabelNames = ["pipeline", "model_id"],
                Buckets = Histogram.ExponentialBuckets(0.005, 2, 16),
            });
        _loads = factory.CreateCounter("livepeer_runner_model_loads_total", "Models loaded.", "pipeline", "model_id");
        _evictions = factory.CreateCounter("livepeer_runner_model_evictions_total", "Models unloaded to make room or after their keep-alive.", "pipeline", "model_id");
        _loadSeconds = factory.CreateHistogram("livepeer_runner_model_load_seconds", "Time to load a model, waiting for memory included.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.005, 2, 16) });
        _resident = factory.CreateGauge("livepeer_runner_models_resident", "1 while a model is loaded, 0 after it left memory.", "pipeline", "model_id", "device");
        _modelBytes = factory.CreateGauge("livepeer_runner_model_memory_bytes", "A resident model's footprint in the device ledger.", "pipeline", "model_id", "device");
        _deviceUsed = factory.CreateGauge("livepeer_runner_device_memory_used_bytes", "Device memory held by resident and loading models (the ledger).", "device");
        _deviceTotal = factory.CreateGauge("livepeer_runner_device_memory_total_bytes", "Device memory in all (for the CPU device: its budget).", "device");
        _deviceBudget = factory.CreateGauge("livepeer_runner_device_memory_budget_bytes", "Device memory models may use: total less the reserve.", "device");
        _deviceReserved = factory.CreateGauge("livepeer_runner_device_reserved_activation_bytes", "Device memory running requests reserve for their activations.", "device");
        _queueDepth = factory.CreateGauge("livepeer_runner_queue_depth", "Requests waiting for a turn on the device.", "device");
        _inFlight = factory.CreateGauge("livepeer_runner_requests_in_flight", "Requests admitted and running on a model.", "pipeline", "model_id", "device");
        _queueWait = factory.CreateHistogram("livepeer_runner_queue_wait_seconds", "Time admitted requests waited for their turn (0 for those that ran at once).",
            new HistogramConfiguration
            {
                LabelNames = ["pipeline", "model_id"],
                Buckets = [0, .. Histogram.ExponentialBuckets(0.001, 4, 10)],
            });
        _denoiseStepSeconds = factory.CreateHistogram("livepeer_runner_denoise_step_seconds", "Time of one denoising step (UNet run and scheduler step) of a long generation.",
            new HistogramConfiguration
            {
                LabelNames = ["pipeline", "model_id"],
                Buckets = Histogram.ExponentialBuckets(0.005, 2, 16),
            });
        _rejections = factory.CreateCounter("livepeer_runner_admission_rejections_total", "Requests answered busy, by reason.", "pipeline", "model_id", "reason");
    }

    public CollectorRegistry Registry { get; }

    public void RequestAnswered(string pipeline, string modelId, int status, TimeSpan elapsed)
    {
        _requests.WithLabels(pipeline, modelId, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        _requestSeconds.WithLabels(pipeline, modelId).Observe(elapsed.TotalSeconds);
    }

    public void DenoiseStep(string pipeline, string modelId, TimeSpan elapsed) =>
        _denoiseStepSeconds.WithLabels(pipeline, modelId).Observe(elapsed.TotalSeconds);

    /// <summary>Records one residency transition and the ledger after it.</summary>
    public void ModelChanged(ModelEvent change, ResidencySnapshot ledger)
    {
        var (pipeline, modelId) = (change.Entry.Pipeline, change.Entry.ModelId);
        switch (change.Kind)
        {
            case ModelEventKind.Loaded:
                _loads.WithLabels(pipeline, modelId).Inc();
                _loadSeconds.Observe(change.Elapsed.TotalSeconds);
                _resident.WithLabels(pipeline, modelId, change.Device).Set(1);
                _modelBytes.WithLabels(pipeline, modelId, change.Device).Set(change.FootprintBytes);
                break;
            case ModelEventKind.Unloaded:
                if (change.Reason != UnloadReason.Shutdown)
                    _evictions.WithLabels(pipeline, modelId).Inc();
                _resident.WithLabels(pipeline, modelId, change.Device).Set(0);
                _modelBytes.WithLabels(pipeline, modelId, change.Device).Set(0);
                break;
        }

        DeviceLedger(ledger);
    }

    /// <summary>Records one step of a request through admission and the device's load after it.</summary>
    public void RequestStep(RequestEvent step, RequestLoad load)
    {
        var (pipeline, modelId) = (step.Entry.Pipeline, step.Entry.ModelId);
        switch (step.Kind)
        {
            case RequestEventKind.Admitted:
                _queueWait.WithLabels(pipeline, modelId).Observe(step.Waited.TotalSeconds);
                _inFlight.WithLabels(pipeline, modelId, step.Device).Inc();
                break;
            case RequestEventKind.Finished:
                _inFlight.WithLabels(pipeline, modelId, step.Device).Dec();
                break;
            case RequestEventKind.Rejected:
                _rejections.WithLabels(pipeline, modelId, ReasonLabel(step.Reason)).Inc();
                break;
        }

        _deviceReserved.WithLabels(step.Device).Set(load.ReservedBytes);
        _queueDepth.WithLabels(step.Device).Set(load.Queued);
    }

    private static string ReasonLabel(Core.Errors.BusyReason? reason) => reason switch
    {
        Core.Errors.BusyReason.ModelBusy => "model_busy",
        Core.Errors.BusyReason.DeviceBusy => "device_busy",
        Core.Errors.BusyReason.QueueFull => "queue_full",
        Core.Errors.BusyReason.QueueTimeout => "queue_timeout",
        _ => "other",
    };

    public void DeviceLedger(ResidencySnapshot ledger)
    {
        _deviceReserved.WithLabels(ledger.Device).Set(ledger.Requests.ReservedBytes);
        _queueDepth.WithLabels(ledger.Device).Set(ledger.Requests.Queued);
        _deviceUsed.WithLabels(ledger.Device).Set(ledger.UsedBytes);
        _deviceTotal.WithLabels(ledger.Device).Set(ledger.TotalBytes);
        _deviceBudget.WithLabels(ledger.Device).Set(ledger.BudgetBytes);
    }
}
