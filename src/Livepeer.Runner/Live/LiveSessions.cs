namespace Livepeer.Runner.Live;

/// <summary>
/// The go-livepeer sessions this runner is serving now, per registration. In single-shot mode a session is one
/// request: it is active from the moment a request carrying <c>Livepeer-Session-Id</c> arrives under the
/// registration's prefix until its reply has ended (streamed replies included). The one owner of that state: the
/// request middleware (<see cref="LiveRequestLog"/>) writes it, the heartbeat reads it for <c>session_ids</c>.
/// </summary>
internal sealed class LiveSessions
{
    private readonly Dictionary<string, List<string>> _byLabel = new(StringComparer.Ordinal);

    /// <summary>Marks a session active under a label until the returned handle is disposed.</summary>
    public IDisposable Begin(string label, string sessionId)
    {
        lock (_byLabel)
        {
            if (!_byLabel.TryGetValue(label, out var sessions))
                _byLabel[label] = sessions = [];
            sessions.Add(sessionId);
        }

        return new Active(this, label, sessionId);
    }

    /// <summary>The label's active sessions, oldest first (a copy).</summary>
    public IReadOnlyList<string> Of(string label)
    {
        lock (_byLabel)
            return _byLabel.TryGetValue(label, out var sessions) ? [.. sessions] : [];
    }

    private void End(string label, string sessionId)
    {
        lock (_byLabel)
        {
            if (_byLabel.TryGetValue(label, out var sessions))
                sessions.Remove(sessionId);
        }
    }

    private sealed class Active(LiveSessions owner, string label, string sessionId) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                owner.End(label, sessionId);
        }
    }
}
