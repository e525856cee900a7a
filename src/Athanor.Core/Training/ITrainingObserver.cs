namespace Athanor.Training;

public sealed record StepMetrics(int Step, int TotalSteps, double Epoch, double Loss, double LearningRate, double GradNorm,
    double TokensPerSecond, double StepSeconds, TimeSpan Elapsed, TimeSpan Remaining);

public sealed record EvalMetrics(int Step, double EvalLoss, long Tokens, bool IsBest);

/// <summary>What the loop tells the outside world: the CLI's progress display, metrics files, later the cluster.</summary>
public interface ITrainingObserver
{
    void OnStart(int startStep, int totalSteps, string? resumedFrom) { }
    void OnStep(StepMetrics metrics) { }
    void OnEval(EvalMetrics metrics) { }
    void OnCheckpoint(int step, string folder) { }
    void OnMessage(string message) { }
    void OnEnd(TrainingResult result) { }
}

public sealed record TrainingResult(int Steps, double? FirstLoss, double? LastLoss, double? BestEvalLoss, bool StoppedEarly,
    bool Cancelled, string? LastCheckpoint, TimeSpan Elapsed);
