using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Athanor.Cluster.Messages;

namespace Athanor.Cluster.Coordination;

/// <summary>
/// Guards the journal against a second cluster. Nodes misconfigured into two clusters (each founding its own:
/// wrong or missing seeds) but sharing one journal would each recover the same jobs and run them twice. The
/// coordinator of a cluster is one actor at a time, and it keeps this persistent actor writing the journal's
/// fence every few seconds. A second cluster's fence writes the same sequence numbers, and the journal refuses
/// the duplicates (its key is persistence id and sequence number), so the two keep colliding: each collision is
/// published as <see cref="JournalFenceConflict"/>, and a node that sees a second one soon after leaves
/// (<see cref="Hosting.FenceWatcher"/>). A singleton moving between the nodes of one cluster starts after the old
/// one stopped and recovers first; at most a write still in flight at the hand-over collides once.
/// </summary>
public sealed class JournalFence : ReceivePersistentActor, IWithTimers
{
    public const string Id = "athanor-journal-fence";
    private static readonly TimeSpan Renewal = TimeSpan.FromSeconds(3);
    private const int KeepEvents = 100;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _address;

    public static Props Props() => Akka.Actor.Props.Create(() => new JournalFence());

    public JournalFence()
    {
        _address = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
        Recover<FenceWritten>(_ => { });
        Recover<RecoveryCompleted>(_ =>
        {
            Write();
            Timers.StartPeriodicTimer("renew", Renew.Instance, Renewal);
        });
        Command<Renew>(_ => Write());
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(m => _log.Warning("journal fence: could not trim old fence events: {0}", m.Cause.Message));
    }

    public override string PersistenceId => Id;
    public ITimerScheduler Timers { get; set; } = null!;

    private void Write() => Persist(new FenceWritten(_address, DateTime.UtcNow), _ =>
    {
        if (LastSequenceNr % KeepEvents == 0) DeleteMessages(LastSequenceNr - 1);
    });

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        if (IsDuplicateKey(cause))
        {
            var reason = $"another cluster's coordinator writes this journal (fence event {sequenceNr} was written by someone else): " +
                         "two clusters on one journal would run the same jobs twice. Every node must join the same cluster: " +
                         "give them all the same --seed list (or the same --discovery)";
            _log.Error("journal fence: {0}", reason);
            Context.System.EventStream.Publish(new JournalFenceConflict(reason));
        }
        else _log.Warning(cause, "journal fence: writing the fence failed ({0}); the coordinator retries", cause.Message);
        base.OnPersistFailure(cause, @event, sequenceNr); // the actor stops; the coordinator starts a new one after a pause
    }

    private static bool IsDuplicateKey(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e.Message.Contains("UNIQUE constraint", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("duplicate key", StringComparison.OrdinalIgnoreCase)
                || e.Message.Contains("23505", StringComparison.Ordinal))
                return true;
        return false;
    }

    private sealed record Renew
    {
        public static readonly Renew Instance = new();
    }
}
