namespace Athanor.Cluster.Jobs;

/// <summary>
/// Tells a failure worth retrying (a lost peer, a node going away) from one that will only happen again: the
/// training code itself threw, with the same message as the attempt before, and the job got no further in
/// between. Retrying that up to max_restarts times only reloads the model again and again, so the job fails
/// at the second one and says why.
/// </summary>
public static class RepeatedFailure
{
    /// <summary>The start of the reason a rank gives when training threw (not a collective, not an abort).</summary>
    public const string TrainingErrorPrefix = "training error: ";

    public static string TrainingError(Exception ex) => $"{TrainingErrorPrefix}{ex.GetType().Name}: {ex.Message}";

    /// <summary>True when this failure repeats the last one of the job without any step in between.</summary>
    public static bool IsRepeat(string reason, string? lastFailureReason, int step, int stepAtLastFailure) =>
        reason.StartsWith(TrainingErrorPrefix, StringComparison.Ordinal) && reason == lastFailureReason && step <= stepAtLastFailure;
}
