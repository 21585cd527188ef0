using System.Text;
using Livepeer.Runner.Core.Models;

namespace Livepeer.Runner.Tests.Live;

/// <summary>Reads a <c>text/event-stream</c> reply one event at a time, as a client sees them arrive.</summary>
public sealed class SseReader(Stream body) : IDisposable
{
    private readonly StreamReader _reader = new(body, Encoding.UTF8);

    /// <summary>The next event's <c>data</c>; null at the end of the stream. Bounded by the gate's hang guard.</summary>
    public async Task<string?> NextAsync()
    {
        var data = new StringBuilder();
        while (await _reader.ReadLineAsync().WaitAsync(StreamGate.HangGuard) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                    return data.ToString();
                continue;
            }

            if (line.StartsWith("data: ", StringComparison.Ordinal))
                data.Append(line["data: ".Length..]);
        }

        return data.Length > 0 ? data.ToString() : null;
    }

    /// <summary>Every remaining event.</summary>
    public async Task<List<string>> RestAsync()
    {
        var events = new List<string>();
        while (await NextAsync() is { } next)
            events.Add(next);
        return events;
    }

    public void Dispose() => _reader.Dispose();
}

/// <summary>The model manager's admission steps for one model, awaited rather than polled.</summary>
public sealed class RequestSteps : IDisposable
{
    private readonly ModelManager _models;
    private readonly string _modelId;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RequestSteps(ModelManager models, string modelId)
    {
        _models = models;
        _modelId = modelId;
        _models.Requests += OnStep;
    }

    /// <summary>Completes when a request of the model has ended and given its turn back.</summary>
    public Task Finished => _finished.Task.WaitAsync(StreamGate.HangGuard);

    private void OnStep(RequestEvent step)
    {
        if (step.Kind == RequestEventKind.Finished && step.Entry.ModelId == _modelId)
            _finished.TrySetResult();
    }

    public void Dispose() => _models.Requests -= OnStep;
}
