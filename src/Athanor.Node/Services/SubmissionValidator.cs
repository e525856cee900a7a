using System.Text.RegularExpressions;
using Athanor.Configuration;
using Athanor.Node.Backend;
using Athanor.Node.Security;
using Athanor.Protocol.V1;

namespace Athanor.Node.Services;

/// <summary>
/// From a SubmitJobRequest to a <see cref="JobSubmission"/>: the name checked, the config parsed and
/// validated by the core's loader (every ConfigException becomes INVALID_ARGUMENT naming the field path),
/// and every path resolved and checked against the node's roots (PERMISSION_DENIED).
/// </summary>
public sealed partial class SubmissionValidator(PathPolicy paths)
{
    public const int MaxNameLength = 128;
    private const string OverrideSource = "--set";

    /// <param name="cancel">The call's cancellation (its deadline, or the client leaving): parsing and validation stop with it.</param>
    public JobSubmission Validate(SubmitJobRequest request, CancellationToken cancel)
    {
        var name = request.Name.Trim();
        if (name.Length > MaxNameLength)
            throw new RequestValidationException("name", $"{name.Length} characters; at most {MaxNameLength} are accepted");
        if (name.Any(char.IsControl))
            throw new RequestValidationException("name", "contains control characters; use printable text");

        var (yaml, sourceName, overrides) = Inputs(request);
        // Every path key goes through the roots before the loader touches any file (deepspeed is read to learn its stage).
        var resolver = paths.ForSubmission();
        LoadedConfig loaded;
        try
        {
            loaded = JobConfigLoader.Parse(yaml, sourceName, overrides, resolver, cancel);
        }
        catch (ConfigException ex)
        {
            throw Translate(ex, request);
        }
        var notes = loaded.IgnoredKeys.Select(k => $"note: ignoring {k.Name} ({k.Reason})").Concat(resolver.Notes).ToList();
        return new JobSubmission(name, loaded.Config, notes);
    }

    private static (string Yaml, string SourceName, List<string> Overrides) Inputs(SubmitJobRequest request)
    {
        var overrides = new List<string>();
        switch (request.ConfigCase)
        {
            case SubmitJobRequest.ConfigOneofCase.ConfigYaml:
                overrides.AddRange(request.Overrides);
                var source = request.ConfigName.Trim();
                if (source.Length == 0 || source.Length > 200 || source.Any(char.IsControl)) source = "config_yaml";
                return (request.ConfigYaml, source, overrides);
            case SubmitJobRequest.ConfigOneofCase.Fields:
                // Structured fields are the same key=value pairs as overrides, applied first.
                foreach (var (key, value) in request.Fields.Values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (!KeyPattern().IsMatch(key))
                        throw new RequestValidationException($"fields.{Printable(key)}", "not a config key; keys are lower_snake_case names from docs/configuration.md");
                    if (value.Contains('\n') || value.Contains('\r'))
                        throw new RequestValidationException($"fields.{key}", "the value has a line break; give one YAML scalar, or [a, b] for a list");
                    overrides.Add($"{key}={value}");
                }
                overrides.AddRange(request.Overrides);
                return ("{}", "fields", overrides);
            default:
                throw new RequestValidationException("config", "missing; give config_yaml (a job YAML) or fields (key/value pairs)");
        }
    }

    // "job.yaml:12: learning_rate: problem" -> field path "config_yaml.learning_rate" and "(job.yaml:12): problem".
    private static RequestValidationException Translate(ConfigException ex, SubmitJobRequest request)
    {
        var source = InputText.Shorten(ex.SourceName);
        var where = ex.Line is { } line ? $"{source}:{line}" : source;
        var prefix = ex.Key is null ? $"{where}: " : $"{where}: {InputText.Shorten(ex.Key)}: ";
        var problem = ex.Message.StartsWith(prefix, StringComparison.Ordinal) ? ex.Message[prefix.Length..] : ex.Message;
        string root;
        if (ex.SourceName != OverrideSource)
            return new RequestValidationException(ex.Key is null ? "config_yaml" : $"config_yaml.{InputText.Shorten(ex.Key)}", $"({where}) {problem}");
        bool fromOverrides = ex.Key is null
            ? request.ConfigCase != SubmitJobRequest.ConfigOneofCase.Fields
            : request.Overrides.Any(o => o.Split('=', 2)[0].Trim() == ex.Key);
        root = fromOverrides ? "overrides" : "fields";
        return new RequestValidationException(ex.Key is null ? root : $"{root}.{InputText.Shorten(ex.Key)}", problem);
    }

    private static string Printable(string s) => new(s.Take(64).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex KeyPattern();
}
