using Akka.Actor;
using Athanor.Cluster.Messages;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// Hands a lost journal fence to whoever hosts the node: a second fence collision within <see cref="Window"/>
/// (a second cluster keeps colliding; a singleton hand-over collides at most once) completes the task.
/// </summary>
public sealed class FenceWatcher : ReceiveActor
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(2);
    private DateTime? _lastConflict;

    public static Props Props(TaskCompletionSource<string> lost) => Akka.Actor.Props.Create(() => new FenceWatcher(lost));

    public FenceWatcher(TaskCompletionSource<string> lost)
    {
        Receive<JournalFenceConflict>(m =>
        {
            var now = DateTime.UtcNow;
            if (_lastConflict is DateTime last && now - last < Window) lost.TrySetResult(m.Reason);
            _lastConflict = now;
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(JournalFenceConflict));
}
