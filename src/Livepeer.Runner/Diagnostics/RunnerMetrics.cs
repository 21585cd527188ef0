using Livepeer.Runner.Core.Configuration;
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
    private readonly Histogram _loadSeconds;

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
        _loadSeconds = factory.CreateHistogram("livepeer_runner_model_load_seconds", "Time to load a model.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.05, 2, 14) });
    }

    public CollectorRegistry Registry { get; }

    public void RequestAnswered(string pipeline, string modelId, int status, TimeSpan elapsed)
    {
        _requests.WithLabels(pipeline, modelId, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        _requestSeconds.WithLabels(pipeline, modelId).Observe(elapsed.TotalSeconds);
    }

    public void ModelLoaded(ModelEntry model, TimeSpan elapsed)
    {
        _loads.WithLabels(model.Pipeline, model.ModelId).Inc();
        _loadSeconds.Observe(elapsed.TotalSeconds);
    }
}
