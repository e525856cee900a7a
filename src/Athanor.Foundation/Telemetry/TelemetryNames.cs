namespace Athanor.Telemetry;

/// <summary>
/// The names Athanor publishes its traces and metrics under. ActivitySource and Meter names are what an
/// OpenTelemetry provider subscribes to; tag keys are span attributes and metric labels alike.
/// </summary>
public static class TelemetryNames
{
    /// <summary>ActivitySource and Meter of the training loop (steps, phases, loss, throughput, checkpoints).</summary>
    public const string Training = "Athanor.Training";

    /// <summary>ActivitySource and Meter of the cluster (jobs, attempts, ranks, members, queue).</summary>
    public const string Cluster = "Athanor.Cluster";

    /// <summary>Meter of this machine's GPUs (NVML: utilization, memory, power, temperature).</summary>
    public const string Gpu = "Athanor.Gpu";

    public const string JobIdTag = "job_id";
    public const string RankTag = "rank";
    public const string PhaseTag = "phase";
    public const string AttemptTag = "attempt";
    public const string StepTag = "step";
    public const string WorldSizeTag = "world_size";
    public const string OutcomeTag = "outcome";
}
