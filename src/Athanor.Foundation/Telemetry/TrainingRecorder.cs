using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Athanor.Telemetry;

/// <summary>
/// One rank's telemetry for one run of the training loop. Every step records its phase times (summed over
/// micro-batches) and its duration; the leader also records loss, learning rate, grad norm, tokens/s and
/// MFU (the same on every rank, so once). Sampled steps (the ones the loop logs: every logging_steps, and
/// the first and last) become a "step" span with one child span per phase and micro-batch, under whatever
/// span is current on the training thread (the rank's span in the cluster).
/// </summary>
public sealed class TrainingRecorder
{
    private readonly TagList _tags;
    private readonly KeyValuePair<string, object?>[] _phaseTags;
    private readonly bool _leader;
    private readonly int _worldSize, _loggingSteps, _totalSteps;
    private readonly double _flopsPerToken, _peakPerRank;
    private readonly double[] _phaseSeconds = new double[TrainingPhaseNames.Count];
    private readonly double[] _windowPhaseSeconds = new double[TrainingPhaseNames.Count];
    private TimeSpan _windowGcPauseFrom = GC.GetTotalPauseDuration();
    private bool _sampled;

    public TrainingRecorder(TrainingTelemetry settings, int rank, int worldSize, int zeroStage, int loggingSteps, int totalSteps,
        long parameters, long trainableParameters, int threads)
    {
        _leader = rank == 0;
        _worldSize = worldSize;
        _loggingSteps = Math.Max(1, loggingSteps);
        _totalSteps = totalSteps;
        GradientSync = zeroStage == 2 ? TrainingPhase.ReduceScatter : TrainingPhase.AllReduce;
        _flopsPerToken = ModelFlops.PerToken(parameters, trainableParameters);
        _peakPerRank = settings.PeakFlopsPerRank ?? ModelFlops.PeakPerRank(threads);
        if (settings.JobId is { } id) _tags.Add(TelemetryNames.JobIdTag, id);
        _tags.Add(TelemetryNames.RankTag, rank);
        _phaseTags = [.. _tags, new(TelemetryNames.PhaseTag, null)];
        JobTags = settings.JobId is { } job ? new TagList { { TelemetryNames.JobIdTag, job } } : default;
    }

    /// <summary>The phase gradient synchronization is recorded as: reduce-scatter at ZeRO 2, all-reduce below.</summary>
    public TrainingPhase GradientSync { get; }

    /// <summary>Labels of job-wide series (loss, lr, ...): the job id only.</summary>
    private TagList JobTags { get; }

    /// <summary>Opens step number <paramref name="step"/> (1-based); its span, if sampled, ends when the result is disposed.</summary>
    public Activity? BeginStep(int step)
    {
        Array.Clear(_phaseSeconds);
        _sampled = step == 1 || step % _loggingSteps == 0 || step == _totalSteps;
        if (!_sampled || !TrainingInstruments.Source.HasListeners()) return null;
        var span = TrainingInstruments.Source.StartActivity("step");
        span?.SetTag(TelemetryNames.StepTag, step);
        if (span is not null) foreach (var tag in _tags) span.SetTag(tag.Key, tag.Value);
        return span;
    }

    /// <summary>Times one phase until disposed (use with `using`); a span too in sampled steps and for eval and checkpoints.</summary>
    public PhaseScope Phase(TrainingPhase phase)
    {
        Activity? span = null;
        if ((_sampled || phase is TrainingPhase.Eval or TrainingPhase.Checkpoint) && TrainingInstruments.Source.HasListeners())
            span = TrainingInstruments.Source.StartActivity(phase.Name());
        return new PhaseScope(this, phase, span, Stopwatch.GetTimestamp());
    }

    internal void PhaseEnded(TrainingPhase phase, double seconds)
    {
        if (phase is TrainingPhase.Eval or TrainingPhase.Checkpoint)
        {
            RecordPhase(phase, seconds);
            _windowPhaseSeconds[(int)phase] += seconds; // between steps: the next logged row carries it
        }
        else _phaseSeconds[(int)phase] += seconds;
    }

    private void RecordPhase(TrainingPhase phase, double seconds)
    {
        _phaseTags[^1] = new(TelemetryNames.PhaseTag, phase.Name());
        TrainingInstruments.PhaseDuration.Record(seconds, _phaseTags);
    }

    /// <summary>The step's numbers: per-rank phase and step times; on the leader the job's loss, rate, norm, throughput and MFU.</summary>
    public void StepDone(int step, double loss, double learningRate, double gradNorm, long tokens, double seconds)
    {
        for (int p = 0; p < _phaseSeconds.Length; p++)
        {
            if (_phaseSeconds[p] > 0) RecordPhase((TrainingPhase)p, _phaseSeconds[p]);
            _windowPhaseSeconds[p] += _phaseSeconds[p];
        }
        TrainingInstruments.StepDuration.Record(seconds, _tags);
        if (!_leader) return;
        var tags = JobTags;
        TrainingInstruments.Loss.Record(loss, tags);
        TrainingInstruments.LearningRate.Record(learningRate, tags);
        TrainingInstruments.GradNorm.Record(gradNorm, tags);
        TrainingInstruments.Step.Record(step, tags);
        TrainingInstruments.Tokens.Add(tokens, tags);
        if (seconds > 0) TrainingInstruments.TokensPerSecond.Record(tokens / seconds, tags);
        TrainingInstruments.Mfu.Record(Utilization(tokens, seconds), tags);
    }

    /// <summary>
    /// Where the steps since the last call went, as mean seconds per step: each phase of the loop (host time: a phase
    /// that reads a result from the GPU waits for it) and the .NET runtime's GC pauses. The leader logs it with each
    /// metrics.jsonl row, so one slow step can be told apart from a slow phase.
    /// </summary>
    public JsonObject TakeWindowPhases(int steps)
    {
        var row = new JsonObject();
        double per = 1.0 / Math.Max(1, steps);
        for (int p = 0; p < _windowPhaseSeconds.Length; p++)
            if (_windowPhaseSeconds[p] > 0) row[((TrainingPhase)p).Name()] = Math.Round(_windowPhaseSeconds[p] * per, 4);
        var gc = GC.GetTotalPauseDuration();
        row["gc_pause"] = Math.Round((gc - _windowGcPauseFrom).TotalSeconds * per, 4);
        _windowGcPauseFrom = gc;
        Array.Clear(_windowPhaseSeconds);
        return row;
    }

    /// <summary>MFU of <paramref name="tokens"/> (the global batch's) processed in <paramref name="seconds"/>.</summary>
    public double Utilization(long tokens, double seconds) => ModelFlops.Utilization(_flopsPerToken, tokens, seconds, _worldSize, _peakPerRank);

    public void EvalDone(double evalLoss)
    {
        if (_leader) TrainingInstruments.EvalLoss.Record(evalLoss, JobTags);
    }

    /// <summary>After a checkpoint is committed: its time (every rank) and, on the leader, its size on disk.</summary>
    public void CheckpointDone(string folder, double seconds)
    {
        TrainingInstruments.CheckpointDuration.Record(seconds, _tags);
        if (!_leader || !Directory.Exists(folder)) return;
        long bytes = new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        TrainingInstruments.CheckpointSize.Record(bytes, JobTags);
    }

    /// <summary>A running phase: disposing it records its time and ends its span.</summary>
    public readonly struct PhaseScope(TrainingRecorder recorder, TrainingPhase phase, Activity? span, long started) : IDisposable
    {
        public double Seconds => Stopwatch.GetElapsedTime(started).TotalSeconds;

        public void Dispose()
        {
            recorder.PhaseEnded(phase, Seconds);
            span?.Dispose();
        }
    }
}
