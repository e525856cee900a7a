namespace Athanor.Cluster.Jobs;

/// <summary>
/// How a job entity keeps the coordinator informed. The defaults are what a cluster runs with; tests set long
/// intervals and drive the entity with explicit ticks.
/// </summary>
/// <param name="FirstAnnounceDelay">After recovery, when the entity first re-announces a waiting job or checks its running attempt.</param>
/// <param name="AnnounceInterval">How often it re-announces a waiting job (JobWaiting) or checks its attempt (CheckAttempt).</param>
/// <param name="UnknownAnswersToGiveUp">How many AttemptUnknown answers in a row, with no step between, end the attempt as failed.</param>
public sealed record JobEntitySettings(TimeSpan FirstAnnounceDelay, TimeSpan AnnounceInterval, int UnknownAnswersToGiveUp)
{
    public static JobEntitySettings Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), 2);

    /// <summary>This, or an exception naming the setting, its value and what is accepted.</summary>
    public JobEntitySettings Validated()
    {
        if (FirstAnnounceDelay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(FirstAnnounceDelay), $"FirstAnnounceDelay is {FirstAnnounceDelay}; it must be zero or more");
        if (AnnounceInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(AnnounceInterval), $"AnnounceInterval is {AnnounceInterval}; it must be more than zero");
        if (UnknownAnswersToGiveUp < 1)
            throw new ArgumentOutOfRangeException(nameof(UnknownAnswersToGiveUp), $"UnknownAnswersToGiveUp is {UnknownAnswersToGiveUp}; it must be 1 or more");
        return this;
    }
}
