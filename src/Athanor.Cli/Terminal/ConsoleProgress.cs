using Athanor.Training;

namespace Athanor.Cli.Terminal;

/// <summary>
/// The live view of a run: one status line redrawn in place on a terminal (step, loss, lr, tokens/s, ETA),
/// plain lines at each logging step when output is redirected, and eval/checkpoint events as they happen.
/// </summary>
public sealed class ConsoleProgress(int loggingSteps) : ITrainingObserver
{
    private readonly bool _interactive = !Console.IsOutputRedirected;
    private readonly Lock _gate = new();
    private bool _lineOpen;

    public void OnStart(int startStep, int totalSteps, string? resumedFrom) =>
        Line(resumedFrom is null ? $"training: {totalSteps} steps" : $"training: resuming at step {startStep} of {totalSteps} from {resumedFrom}");

    public void OnStep(StepMetrics m)
    {
        var text = $"step {m.Step,5}/{m.TotalSteps}  loss {m.Loss,7:F4}  lr {m.LearningRate:0.00e+00}  grad {m.GradNorm,6:F3}  " +
                   $"{m.TokensPerSecond,7:N0} tok/s  epoch {m.Epoch:F2}  elapsed {Format(m.Elapsed)}  eta {Format(m.Remaining)}";
        lock (_gate)
        {
            if (_interactive)
            {
                Console.Write("\r" + text.PadRight(Math.Max(text.Length, SafeWidth() - 1))[..Math.Max(text.Length, 0)]);
                _lineOpen = true;
                if (m.Step % loggingSteps == 0 || m.Step == m.TotalSteps || m.Step == 1) EndLine();
            }
            else if (m.Step % loggingSteps == 0 || m.Step == m.TotalSteps || m.Step == 1) Console.WriteLine(text);
        }
    }

    public void OnEval(EvalMetrics m) =>
        Line($"eval  step {m.Step}: eval_loss {m.EvalLoss:F4}{(m.Tokens > 0 ? $" over {m.Tokens:N0} tokens" : "")}{(m.IsBest ? " (best so far)" : "")}");

    public void OnCheckpoint(int step, string folder) => Line($"saved {folder}");

    public void OnMessage(string message) => Line(message);

    public void Line(string text)
    {
        lock (_gate)
        {
            EndLine();
            Console.WriteLine(text);
        }
    }

    private void EndLine()
    {
        if (!_lineOpen) return;
        Console.WriteLine();
        _lineOpen = false;
    }

    private static int SafeWidth()
    {
        try { return Console.WindowWidth; }
        catch (IOException) { return 120; }
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : $"{t.Minutes}m{t.Seconds:00}s";
}
