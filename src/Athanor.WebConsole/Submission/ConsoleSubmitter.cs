using System.Globalization;
using System.Text.RegularExpressions;
using Athanor.Jobs;
using Athanor.Models;
using Athanor.Node.Backend;
using Athanor.Node.Security;
using Athanor.Node.Services;
using Athanor.Protocol.V1;

namespace Athanor.WebConsole.Submission;

/// <summary>
/// The submit form's path to the backend: the YAML goes through the gRPC service's <see cref="SubmissionValidator"/>
/// (the same parser, validator and path roots as `cluster submit`), then <see cref="DatasetCheck"/> (every dataset name
/// exists, its file under the roots); its errors come back with the key they are about, and only a valid job reaches <see cref="IJobBackend.SubmitAsync"/>.
/// </summary>
public sealed partial class ConsoleSubmitter(SubmissionValidator validator, DatasetCheck datasets, IJobBackend backend)
{
    public const int MaxYamlBytes = 1 << 20;

    /// <summary>Validates (and, with <paramref name="submit"/>, queues) a job given as YAML text.</summary>
    public async Task<SubmitOutcome> RunAsync(string name, string yaml, string sourceName, bool submit, CancellationToken cancel)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(yaml) > MaxYamlBytes)
            return Refused(new FieldError("config_yaml", null, null, $"config_yaml: {yaml.Length} characters; at most {MaxYamlBytes} bytes are accepted"));
        if (string.IsNullOrWhiteSpace(yaml))
            return Refused(new FieldError("config_yaml", null, null, "config_yaml: empty; paste a job YAML or choose a file"));
        JobSubmission submission;
        try
        {
            submission = validator.Validate(new SubmitJobRequest { Name = name ?? "", ConfigYaml = yaml, ConfigName = sourceName }, cancel);
        }
        catch (RequestValidationException ex)
        {
            return Refused(new FieldError(ex.FieldPath, KeyOf(ex.FieldPath), LineOf(ex.Message), ex.Message));
        }
        catch (PathNotAllowedException ex)
        {
            return Refused(new FieldError("config_yaml." + ex.Key, ex.Key, LineOfKey(yaml, ex.Key), ex.Message));
        }
        // The datasets must exist now, not when the job starts: a bad name is shown at the key and nothing is queued.
        var problems = datasets.Problems(submission.Config);
        if (problems.Count > 0)
            return new SubmitOutcome(problems.Select(p => new FieldError("config_yaml." + p.Key, p.Key, LineOfKey(yaml, p.Key), p.Message)).ToList(), null, null, null);
        var estimate = Estimate(submission);
        if (!submit) return new SubmitOutcome([], submission, estimate, null);
        try
        {
            var record = await backend.SubmitAsync(submission, cancel).ConfigureAwait(false);
            return new SubmitOutcome([], submission, estimate, record);
        }
        catch (JobStateConflictException ex)
        {
            return Refused(new FieldError("config_yaml.output_dir", "output_dir", LineOfKey(yaml, "output_dir"), ex.Message));
        }
    }

    /// <summary>The planner's per-GPU peak for the job as submitted (the same numbers a GPU worker checks before it starts).</summary>
    public static string Estimate(JobSubmission submission)
    {
        var config = submission.Config;
        try
        {
            var model = ModelConfig.Load(config.ModelNameOrPath);
            var estimate = JobMemoryCheck.Estimate(config, model, config.WorldSize);
            string Gb(double bytes) => (bytes / 1e9).ToString("0.00", CultureInfo.InvariantCulture);
            return $"{Gb(estimate.TotalBytes)} GB per GPU at world size {config.WorldSize} (weights {Gb(estimate.WeightBytes)}, gradients " +
                   $"{Gb(estimate.GradientBytes)}, optimizer {Gb(estimate.OptimizerBytes)}, activations and working set " +
                   $"{Gb(estimate.ActivationBytes + estimate.WorkingBytes)} GB)";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return $"no estimate: {ex.Message}";
        }
    }

    private static SubmitOutcome Refused(FieldError error) => new([error], null, null, null);

    // "config_yaml.learning_rate" -> "learning_rate"; "overrides.x", "name", "config_yaml" -> null.
    private static string? KeyOf(string fieldPath) =>
        fieldPath.StartsWith("config_yaml.", StringComparison.Ordinal) ? Uri.UnescapeDataString(fieldPath["config_yaml.".Length..]) : null;

    // The validator's messages say "(job.yaml:17) ...".
    private static int? LineOf(string message) =>
        LinePattern().Match(message) is { Success: true } m && int.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture, out var line) ? line : null;

    private static int? LineOfKey(string yaml, string key)
    {
        var lines = yaml.Split('\n');
        for (int i = 0; i < lines.Length; i++)
            if (lines[i].StartsWith(key + ":", StringComparison.Ordinal)) return i + 1;
        return null;
    }

    [GeneratedRegex(@"\([^()]*:(\d+)\)")]
    private static partial Regex LinePattern();
}
