using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Livepeer.Runner.Tests.Live;

/// <summary>
/// Holds a streamed reply inside the runner after its first events, so a test can read them while generation is
/// provably not over. A request that carries <see cref="Header"/> gets the armed <see cref="Hold"/>: its response body
/// counts the events flushed to the client, and once <see cref="Hold.After"/> of them are out the runner's next write
/// waits until the test releases it. A client that leaves lets a held write pass on (as a write to a closed
/// connection does), so only the runner's own cancellation can stop its work then. Registered as a startup filter,
/// ahead of the runner's middleware.
/// </summary>
public sealed class StreamGate : IStartupFilter
{
    public const string Header = "Test-Stream-Gate";

    /// <summary>Generous: only a broken runner waits this long, and then the test fails instead of hanging.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private Hold? _armed;

    /// <summary>The next request with <see cref="Header"/> is held after <paramref name="events"/> flushed events.</summary>
    public Hold Arm(int events)
    {
        var hold = new Hold(events);
        Volatile.Write(ref _armed, hold);
        return hold;
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, following) =>
        {
            if (!context.Request.Headers.ContainsKey(Header) || Interlocked.Exchange(ref _armed, null) is not { } hold)
            {
                await following(context);
                return;
            }

            context.Response.Body = new HeldBody(context.Response.Body, hold, context.RequestAborted);
            try
            {
                await following(context);
                hold.Finish(null);
            }
            catch (Exception e)
            {
                hold.Finish(e);
                throw;
            }
        });
        next(app);
    };

    /// <summary>One held reply: its events so far, and when it reached the hold and when its request ended.</summary>
    public sealed class Hold(int after)
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<Exception?> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _events;

        public int After { get; } = after;

        /// <summary>Events flushed to the client so far.</summary>
        public int Events => Volatile.Read(ref _events);

        /// <summary>Completes once <see cref="After"/> events are out and the runner's next write is waiting.</summary>
        public Task Reached => _reached.Task.WaitAsync(HangGuard);

        /// <summary>Completes when the request's pipeline ends in the runner: null, or what it ended with.</summary>
        public Task<Exception?> Finished => _finished.Task.WaitAsync(HangGuard);

        public void Release() => _released.TrySetResult();

        internal void Flushed() => Interlocked.Increment(ref _events);

        internal void Finish(Exception? error) => _finished.TrySetResult(error);

        internal async ValueTask PassAsync(CancellationToken aborted)
        {
            if (Events < After || _released.Task.IsCompleted)
                return;
            _reached.TrySetResult();
            try
            {
                await _released.Task.WaitAsync(aborted);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                // The client left: the write goes on to the closed connection.
            }
        }
    }

    private sealed class HeldBody(Stream inner, Hold hold, CancellationToken aborted) : Stream
    {
        private bool _unflushed;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await hold.PassAsync(aborted);
            _unflushed = true;
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            await inner.FlushAsync(cancellationToken);
            if (_unflushed)
            {
                _unflushed = false;
                hold.Flushed();
            }
        }

        public override void Flush() => throw new NotSupportedException("the runner writes asynchronously");

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("the runner writes asynchronously");

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
