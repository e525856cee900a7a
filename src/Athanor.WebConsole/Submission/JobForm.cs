using System.Text;
using System.Text.RegularExpressions;

namespace Athanor.WebConsole.Submission;

/// <summary>
/// The submit page's form of the common keys. It only writes YAML: <see cref="ToYaml"/> gives the job file the paste
/// path would get, so both go through the same validator and nothing here decides what is valid. Extra keys are YAML
/// appended after the form's lines; the validator's errors are sent back to the field that wrote the key.
/// </summary>
public sealed partial class JobForm
{
    public string Model { get; set; } = "";
    /// <summary>A <see cref="DatasetChoice.Value"/>: the dataset_info.json folder and the dataset's name.</summary>
    public string Dataset { get; set; } = "";
    public string Method { get; set; } = "lora";
    public string LoraRank { get; set; } = "8";
    public string LearningRate { get; set; } = "1.0e-4";
    public string Epochs { get; set; } = "3.0";
    public string MaxSteps { get; set; } = "-1";
    public string WorldSize { get; set; } = "1";
    public string ZeroStage { get; set; } = "0";
    public string OutputDir { get; set; } = "";
    public string Extra { get; set; } = "";

    /// <summary>Form field id -> the keys it writes (errors about those keys are shown at it).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Fields = new Dictionary<string, string[]>
    {
        ["f-model"] = ["model_name_or_path"],
        ["f-dataset"] = ["dataset", "dataset_dir"],
        ["f-method"] = ["finetuning_type"],
        ["f-lora-rank"] = ["lora_rank"],
        ["f-lr"] = ["learning_rate"],
        ["f-epochs"] = ["num_train_epochs"],
        ["f-steps"] = ["max_steps"],
        ["f-world"] = ["world_size"],
        ["f-zero"] = ["zero_stage"],
        ["f-output"] = ["output_dir"],
    };

    public const string ExtraField = "f-extra";

    /// <summary>The job YAML, and how many of its lines the form's fields wrote (the extra keys follow them).</summary>
    public (string Yaml, int FormLines, IReadOnlyList<(string Field, string Message)> Problems) ToYaml()
    {
        var problems = new List<(string, string)>();
        var lines = new List<string>();
        void Text(string field, string key, string value)
        {
            value = value.Trim();
            if (value.Length == 0) return; // absent: the validator says whether the key is required
            if (value.Contains('\n') || value.Contains('\r')) { problems.Add((field, $"{key}: the value has a line break; give one line")); return; }
            lines.Add($"{key}: '{value.Replace("'", "''", StringComparison.Ordinal)}'");
        }
        // Numbers are written plain when they look like one, so the loader reads a number; anything else is quoted and the
        // validator names the key and what it accepts.
        void Number(string field, string key, string value)
        {
            value = value.Trim();
            if (value.Length > 0 && NumberText().IsMatch(value)) lines.Add($"{key}: {value}");
            else Text(field, key, value);
        }

        Text("f-model", "model_name_or_path", Model);
        if (DatasetChoice.Parse(Dataset) is var (dir, name))
        {
            Text("f-dataset", "dataset_dir", dir);
            Text("f-dataset", "dataset", name);
        }
        else if (Dataset.Trim().Length > 0) problems.Add(("f-dataset", "dataset: choose one of the datasets listed from the data roots' dataset_info.json"));
        Text("f-method", "finetuning_type", Method);
        if (Method.Trim() == "lora") Number("f-lora-rank", "lora_rank", LoraRank);
        Number("f-lr", "learning_rate", LearningRate);
        Number("f-epochs", "num_train_epochs", Epochs);
        Number("f-steps", "max_steps", MaxSteps);
        Number("f-world", "world_size", WorldSize);
        Number("f-zero", "zero_stage", ZeroStage);
        Text("f-output", "output_dir", OutputDir);
        var yaml = new StringBuilder();
        foreach (var line in lines) yaml.Append(line).Append('\n');
        var extra = (Extra ?? "").Replace("\r\n", "\n").TrimEnd('\n');
        if (extra.Length > 0) yaml.Append(extra).Append('\n');
        return (yaml.ToString(), lines.Count, problems);
    }

    /// <summary>The field an error belongs at: the field that wrote its key, else the extra keys (malformed YAML, unknown keys, lines after the form's).</summary>
    public static string FieldOf(FieldError error, int formLines)
    {
        if (error.FieldPath == "name") return "f-name";
        if (error.Key is { } key && (error.Line is null || error.Line <= formLines))
            foreach (var (field, keys) in Fields)
                if (keys.Contains(key)) return field;
        return ExtraField;
    }

    /// <summary>The message as the form shows it beside a field: "key: problem", without the YAML path and line of a text the user did not write.</summary>
    public static string Describe(FieldError error)
    {
        var message = ValidatorPrefix().Replace(error.Message, "");
        return error.Key is { } key && !message.StartsWith(key + ":", StringComparison.Ordinal) ? $"{key}: {message}" : message;
    }

    [GeneratedRegex(@"^(config_yaml(\.[^:\s]*)?: )?(\([^()]*:\d+\) )?")]
    private static partial Regex ValidatorPrefix();

    [GeneratedRegex(@"^[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?$")]
    private static partial Regex NumberText();
}
