using System.Text.Json.Nodes;
using Athanor.Configuration;
using Athanor.IO;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Reporting;
using Athanor.Training;

namespace Athanor.Jobs;

/// <summary>
/// What a finished run leaves in output_dir besides its checkpoints: the final model (or PEFT adapter)
/// as a Hugging Face folder with the tokenizer files, the effective config, and the loss plot.
/// </summary>
public static class JobOutputs
{
    public const string EffectiveConfigFile = "athanor_config.yaml";
    public const string LossPlotFile = "training_loss.png";

    private static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "generation_config.json"];

    public static void WriteEffectiveConfig(JobConfig config)
    {
        Directory.CreateDirectory(config.OutputDir);
        DurableFile.WriteAllText(Path.Combine(config.OutputDir, EffectiveConfigFile), JobConfigWriter.ToYaml(config));
    }

    /// <summary>
    /// The model (or adapter) and tokenizer files in output_dir. Under ZeRO-3 no rank holds the whole model, so
    /// the weights are taken from the last checkpoint, which the ranks wrote one layer at a time (hard links where possible).
    /// </summary>
    public static void WriteFinal(JobConfig config, CausalLM model, LoraSettings? lora, string? lastCheckpoint = null)
    {
        var dir = config.OutputDir;
        if (config.ZeroStage == 3)
        {
            if (lastCheckpoint is null) throw new JobException("ZeRO-3: the run ended without a checkpoint to take the final weights from");
            CopyWeights(lastCheckpoint, dir);
        }
        else if (lora is null) ModelWeights.Save(model, dir);
        else PeftAdapter.Save(model, lora, dir, config.ModelNameOrPath);
        var tokenizerSource = config.Tokenizer switch { "byte" => null, "model" => config.ModelNameOrPath, var f => f };
        if (tokenizerSource is not null)
            foreach (var name in TokenizerFiles)
            {
                var source = Path.Combine(tokenizerSource, name);
                if (File.Exists(source)) File.Copy(source, Path.Combine(dir, name), overwrite: true);
            }
    }

    /// <summary>Model or adapter weights with their config and index, from a checkpoint folder.</summary>
    private static void CopyWeights(string checkpoint, string dir)
    {
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.EnumerateFiles(checkpoint))
        {
            var name = Path.GetFileName(file);
            bool weights = name.StartsWith("model", StringComparison.Ordinal) || name.StartsWith("adapter_", StringComparison.Ordinal) || name == "config.json";
            if (weights) FileLink.LinkOrCopy(file, Path.Combine(dir, name));
        }
    }

    /// <summary>training_loss.png from metrics.jsonl (train loss and, when present, eval loss).</summary>
    public static string? WriteLossPlot(string outputDir, string title)
    {
        var metrics = Path.Combine(outputDir, MetricsLog.FileName);
        if (!File.Exists(metrics)) return null;
        var train = new List<(double, double)>();
        var eval = new List<(double, double)>();
        foreach (var line in File.ReadLines(metrics))
        {
            if (JsonNode.Parse(line) is not JsonObject row || row["step"] is not JsonNode step) continue;
            if (row["loss"] is JsonNode loss) train.Add((step.GetValue<double>(), loss.GetValue<double>()));
            if (row["eval_loss"] is JsonNode evalLoss) eval.Add((step.GetValue<double>(), evalLoss.GetValue<double>()));
        }
        if (train.Count == 0) return null;
        var path = Path.Combine(outputDir, LossPlotFile);
        LossPlot.WritePng(path, train, eval.Count > 0 ? eval : null, title);
        return path;
    }
}
