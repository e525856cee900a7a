using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Athanor.Telemetry;

/// <summary>
/// The training loop's ActivitySource and Meter, and the instruments on it (created once per process).
/// Names use dots; Prometheus shows them with underscores and a unit suffix (athanor.train.step.duration
/// in seconds is athanor_train_step_duration_seconds).
/// </summary>
public static class TrainingInstruments
{
    private static readonly string? Version = typeof(TrainingInstruments).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    public static readonly ActivitySource Source = new(TelemetryNames.Training, Version);
    public static readonly Meter Meter = new(TelemetryNames.Training, Version);

    // Step and phase times span milliseconds (tiny models) to minutes (checkpoints of large ones).
    private static readonly InstrumentAdvice<double> SecondsBuckets = new()
    {
        HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000],
    };

    public static readonly Gauge<double> Loss = Meter.CreateGauge<double>("athanor.train.loss", null, "training loss of the latest step (mean per target token)");
    public static readonly Gauge<double> EvalLoss = Meter.CreateGauge<double>("athanor.eval.loss", null, "loss on the validation set at the latest evaluation");
    public static readonly Gauge<double> LearningRate = Meter.CreateGauge<double>("athanor.train.learning_rate", null, "learning rate of the latest step");
    public static readonly Gauge<double> GradNorm = Meter.CreateGauge<double>("athanor.train.grad_norm", null, "global L2 norm of the gradients before clipping");
    public static readonly Gauge<double> TokensPerSecond = Meter.CreateGauge<double>("athanor.train.tokens_per_second", null, "tokens (without padding) of the global batch per second of the latest step");
    public static readonly Gauge<double> Mfu = Meter.CreateGauge<double>("athanor.train.mfu", null, "model FLOPs utilization of the latest step, 0-1 (docs/observability.md)");
    public static readonly Gauge<long> Step = Meter.CreateGauge<long>("athanor.train.step", null, "optimizer steps done");
    public static readonly Counter<long> Tokens = Meter.CreateCounter<long>("athanor.train.tokens", null, "tokens (without padding) trained on");
    public static readonly Histogram<double> StepDuration = Meter.CreateHistogram("athanor.train.step.duration", "s", "time of one optimizer step on this rank", null, SecondsBuckets);
    public static readonly Histogram<double> PhaseDuration = Meter.CreateHistogram("athanor.train.phase.duration", "s", "time of one phase of a step on this rank (summed over micro-batches)", null, SecondsBuckets);
    public static readonly Histogram<double> CheckpointDuration = Meter.CreateHistogram("athanor.checkpoint.duration", "s", "time to write and commit one checkpoint", null, SecondsBuckets);
    public static readonly Gauge<long> CheckpointSize = Meter.CreateGauge<long>("athanor.checkpoint.size", "By", "bytes of the latest committed checkpoint (all its files)");
}
