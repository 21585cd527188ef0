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
    }

    public CollectorRegistry Registry { get; }

    public void RequestAnswered(string pipeline, string modelId, int status, TimeSpan elapsed)
    {
        _requests.WithLabels(pipeline, modelId, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        _requestSeconds.WithLabels(pipeline, modelId).Observe(elapsed.TotalSeconds);
    }

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

    public void DeviceLedger(ResidencySnapshot ledger)
    {
        _deviceUsed.WithLabels(ledger.Device).Set(ledger.UsedBytes);
        _deviceTotal.WithLabels(ledger.Device).Set(ledger.TotalBytes);
        _deviceBudget.WithLabels(ledger.Device).Set(ledger.BudgetBytes);
    }
}
