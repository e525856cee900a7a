namespace Athanor.Evaluation;

public enum EvalTaskKind { Perplexity, MultipleChoice }

/// <summary>One evaluation to run: its name (used in metric keys), kind, JSONL input and options.</summary>
public sealed record EvalTask(string Name, EvalTaskKind Kind, string InputPath, int Shots = 0, string? Template = null, int? ContextLength = null)
{
    /// <summary>"perplexity" or "multiple-choice" (the CLI's spelling).</summary>
    public static EvalTaskKind ParseKind(string value) => value switch
    {
        "perplexity" => EvalTaskKind.Perplexity,
        "multiple-choice" => EvalTaskKind.MultipleChoice,
        _ => throw new ArgumentException($"task '{value}' is not known; accepted: perplexity, multiple-choice"),
    };
}
