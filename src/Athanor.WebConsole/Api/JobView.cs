using Athanor.Node.Backend;

namespace Athanor.WebConsole.Api;

/// <summary>A job as the console's script sees it (JSON): the backend's record, flattened, with the state in lower case.</summary>
public sealed record JobView(string Id, string Name, string State, int Step, int MaxSteps, int WorldSize, int Attempts,
    int? LastCheckpointStep, double? Loss, double? EvalLoss, double? LearningRate, double? TokensPerSecond,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? Error, string? WaitingReason, string OutputDir, long LastSequence)
{
    public static JobView From(JobRecord r) => new(r.Id, r.Name, StateName(r.State), r.Step, r.MaxSteps, r.WorldSize, r.Attempts,
        r.LastCheckpointStep, r.Metrics.Loss, r.Metrics.EvalLoss, r.Metrics.LearningRate, r.Metrics.TokensPerSecond,
        r.CreatedAt, r.UpdatedAt, r.Error, r.WaitingReason, r.OutputDir, r.LastSequence);

    public static string StateName(JobState state) => state.ToString().ToLowerInvariant();
}
