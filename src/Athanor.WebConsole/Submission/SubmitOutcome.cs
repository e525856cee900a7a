using Athanor.Node.Backend;

namespace Athanor.WebConsole.Submission;

/// <summary>What the submit form gets back: the errors (nothing was queued), or the validated job, its memory estimate and, when submitted, its record.</summary>
public sealed record SubmitOutcome(IReadOnlyList<FieldError> Errors, JobSubmission? Validated, string? MemoryEstimate, JobRecord? Submitted)
{
    public bool Ok => Errors.Count == 0;
}
