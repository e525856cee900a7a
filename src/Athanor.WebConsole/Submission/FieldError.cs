namespace Athanor.WebConsole.Submission;

/// <summary>
/// One reason a submission was refused, where the form shows it: <paramref name="Key"/> is the job-file key
/// (null for the YAML as a whole or the name), <paramref name="Line"/> the YAML line when the validator knows it.
/// </summary>
public sealed record FieldError(string FieldPath, string? Key, int? Line, string Message);
