using Athanor.Node.Backend;
using Athanor.Training;

namespace Athanor.Node.Local;

/// <summary>
/// Turns what the trainer reports into job events: progress every logging step (the same steps and the
/// same window means as metrics.jsonl), evaluations, checkpoints and messages. The job record's step
/// follows every step, so `status` is current between logging steps too.
/// </summary>
internal sealed class JobEventRecorder(LocalJob job, int loggingSteps, bool loggingFirstStep) : ITrainingObserver
{
    private double _windowLoss;
    private int _windowSteps;
    private double _windowTokens;
    private double _windowSeconds;

    public void OnStart(int startStep, int totalSteps, string? resumedFrom) =>
        job.Publish(r => r with { Step = startStep, MaxSteps = totalSteps });

    public void OnStep(StepMetrics m)
    {
        _windowLoss += m.Loss;
        _windowSteps++;
        _windowTokens += m.TokensPerSecond * m.StepSeconds;
        _windowSeconds += m.StepSeconds;
        bool logged = m.Step % loggingSteps == 0 || m.Step == m.TotalSteps || (m.Step == 1 && loggingFirstStep);
        if (!logged)
        {
            job.Publish(r => r with { Step = m.Step, MaxSteps = m.TotalSteps });
            return;
        }
        var metrics = new JobMetrics(_windowLoss / _windowSteps, m.LearningRate, m.GradNorm,
            _windowTokens / Math.Max(1e-9, _windowSeconds), EvalLoss: null, m.Epoch);
        _windowLoss = 0; _windowSteps = 0; _windowTokens = 0; _windowSeconds = 0;
        job.Publish(r => r with { Step = m.Step, MaxSteps = m.TotalSteps, Metrics = metrics with { EvalLoss = r.Metrics.EvalLoss } },
            (id, seq, time) => new JobStepReported(id, seq, time, m.Step, m.TotalSteps, metrics));
    }

    public void OnEval(EvalMetrics m) =>
        job.Publish(r => r with { Metrics = r.Metrics with { EvalLoss = m.EvalLoss } },
            (id, seq, time) => new JobEvalReported(id, seq, time, m.Step, m.EvalLoss, m.IsBest));

    public void OnCheckpoint(int step, string folder) =>
        job.Publish(r => r with { LastCheckpointStep = step },
            (id, seq, time) => new JobCheckpointSaved(id, seq, time, step, folder));

    public void OnMessage(string message) => job.Log(message);
}
