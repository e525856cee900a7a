using System.Net.Sockets;
using Athanor.Parallel;

namespace Athanor.Cluster.Workers;

/// <summary>
/// A rank's ring listener and collective, shared by two threads: the training thread forms the group and trains
/// through it, the actor thread aborts it. Every hand-over goes through one lock, so an abort is never lost between
/// a group being formed and being published, and the listener is stopped by exactly one owner.
/// </summary>
public sealed class RankConnection(TcpListener listener) : IDisposable
{
    private readonly Lock _gate = new();
    private TcpListener? _listener = listener;
    private ICollective? _collective;
    private string? _abortReason;
    private readonly ManualResetEventSlim _aborted = new();

    /// <summary>Why the rank was aborted; null while it was not.</summary>
    public string? AbortReason
    {
        get { lock (_gate) return _abortReason; }
    }

    /// <summary>
    /// Training thread, after its collective failed on its own: a peer's failure usually reaches this rank first as a
    /// broken socket, and the reason (a node downed, a peer's abort) a moment later as an abort. Waiting a little for it
    /// lets the attempt's end say why, naming the node, instead of "receive from rank 0 failed".
    /// </summary>
    public string? AbortReasonWithin(TimeSpan wait)
    {
        _aborted.Wait(wait);
        return AbortReason;
    }

    /// <summary>Training thread: the listener, for the ring to accept the previous rank on (the ring stops it when done).</summary>
    public TcpListener TakeListener()
    {
        lock (_gate)
        {
            ThrowIfAborted();
            return _listener ?? throw new InvalidOperationException("the rank's listener was already handed over");
        }
    }

    /// <summary>Training thread: a group of one has no peers to accept; the listener is closed.</summary>
    public void CloseListener()
    {
        TcpListener? closing;
        lock (_gate) (closing, _listener) = (_listener, null);
        StopQuietly(closing);
    }

    /// <summary>
    /// Training thread: makes <paramref name="collective"/> the one an abort breaks (it replaces the ring a GPU group was
    /// formed over). If the abort came first, the new group is aborted at once and the attempt ends with the reason.
    /// </summary>
    public T Publish<T>(T collective) where T : ICollective
    {
        string? reason;
        lock (_gate)
        {
            _listener = null; // owned by the ring from here on
            _collective = collective;
            reason = _abortReason;
        }
        if (reason is null) return collective;
        collective.Abort(reason);
        throw new CollectiveException(reason);
    }

    /// <summary>Actor thread: breaks whatever the rank has, now or as soon as it is published; the first reason wins.</summary>
    public void Abort(string reason)
    {
        ICollective? collective;
        TcpListener? listener;
        lock (_gate)
        {
            _abortReason ??= reason;
            (collective, listener, _listener) = (_collective, _listener, null);
        }
        _aborted.Set();
        // Outside the lock: aborting wakes the training thread, which may publish or dispose next.
        collective?.Abort(reason);
        StopQuietly(listener); // a ring still accepting on it fails now instead of at its timeout
    }

    /// <summary>Whichever side ends last: disposes the group and stops a listener nobody took.</summary>
    public void Dispose()
    {
        ICollective? collective;
        TcpListener? listener;
        lock (_gate) (collective, _collective, listener, _listener) = (_collective, null, _listener, null);
        collective?.Dispose();
        StopQuietly(listener);
    }

    private void ThrowIfAborted()
    {
        if (_abortReason is not null) throw new CollectiveException(_abortReason);
    }

    private static void StopQuietly(TcpListener? listener)
    {
        try { listener?.Stop(); }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }
}
