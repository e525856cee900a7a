namespace Athanor.Cluster.Coordination;

/// <summary>
/// The coordinator's thresholds, in one place (docs/cluster.md, "Placement"). The defaults are what a cluster runs
/// with; tests shorten them or drive the coordinator with a fake clock.
/// </summary>
/// <param name="NodeTimeout">A worker node that has not announced itself for this long is lost (it announces every 2 s).</param>
/// <param name="MinRunBeforeRescale">An attempt runs at least this long before it is stopped to grow onto new nodes.</param>
/// <param name="SuspectGrace">After a group broke, how long placement waits for its other nodes to announce themselves again.</param>
/// <param name="OwnRanksWait">How long a job waits for the slots of its previous attempt's ranks that are still winding down.</param>
/// <param name="GroupFormTimeout">An attempt whose ranks have not all reported their endpoints by then is given up.</param>
/// <param name="AnswerUnknownAfter">A coordinator up for less than this does not say it knows nothing of an attempt (ranks announce every 2 s).</param>
/// <param name="TickInterval">How often silent nodes, unformed groups, placement and growth are looked at.</param>
/// <param name="FenceRestartDelay">The pause before the journal fence is started again after it stopped.</param>
public sealed record CoordinatorSettings(
    TimeSpan NodeTimeout,
    TimeSpan MinRunBeforeRescale,
    TimeSpan SuspectGrace,
    TimeSpan OwnRanksWait,
    TimeSpan GroupFormTimeout,
    TimeSpan AnswerUnknownAfter,
    TimeSpan TickInterval,
    TimeSpan FenceRestartDelay)
{
    public static CoordinatorSettings Default { get; } = new(
        NodeTimeout: TimeSpan.FromSeconds(20),
        MinRunBeforeRescale: TimeSpan.FromSeconds(5),
        SuspectGrace: TimeSpan.FromSeconds(3),
        OwnRanksWait: TimeSpan.FromSeconds(30),
        GroupFormTimeout: TimeSpan.FromSeconds(45),
        AnswerUnknownAfter: TimeSpan.FromSeconds(10),
        TickInterval: TimeSpan.FromSeconds(1),
        FenceRestartDelay: TimeSpan.FromSeconds(5));

    /// <summary>This, or an exception naming the first setting out of range, its value and what is accepted.</summary>
    public CoordinatorSettings Validated()
    {
        (string Name, TimeSpan Value, bool ZeroAllowed)[] all =
        [
            (nameof(NodeTimeout), NodeTimeout, false), (nameof(MinRunBeforeRescale), MinRunBeforeRescale, true),
            (nameof(SuspectGrace), SuspectGrace, true), (nameof(OwnRanksWait), OwnRanksWait, true),
            (nameof(GroupFormTimeout), GroupFormTimeout, false), (nameof(AnswerUnknownAfter), AnswerUnknownAfter, true),
            (nameof(TickInterval), TickInterval, false), (nameof(FenceRestartDelay), FenceRestartDelay, true),
        ];
        foreach (var (name, value, zeroAllowed) in all)
            if (value < TimeSpan.Zero || (!zeroAllowed && value == TimeSpan.Zero))
                throw new ArgumentOutOfRangeException(name, $"coordinator setting {name} is {value}; it must be {(zeroAllowed ? "zero or more" : "more than zero")}");
        return this;
    }
}
