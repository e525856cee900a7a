namespace Athanor.Telemetry;

/// <summary>What a run's telemetry is labelled with and measured against; the trainer's spans and metrics use it.</summary>
public sealed record TrainingTelemetry
{
    /// <summary>No job id (a run outside the cluster); peak FLOP/s estimated.</summary>
    public static readonly TrainingTelemetry Default = new();

    /// <summary>The job_id label of every metric and span; null leaves the label out.</summary>
    public string? JobId { get; init; }

    /// <summary>One rank's peak FLOP/s for MFU; null: <see cref="ModelFlops.PeakPerRank(int)"/>.</summary>
    public double? PeakFlopsPerRank { get; init; }
}
