using System.Text.Json;
using System.Text.Json.Nodes;
using Athanor.Evaluation;
using Athanor.Inference;

namespace Athanor.Cli.Commands;

/// <summary>`cluster eval`: perplexity over a text set, or multiple-choice accuracy (MMLU / C-Eval / CMMLU layout).</summary>
public sealed class EvalCommand : ICommand
{
    public string Name => "eval";
    public string Summary => "evaluate a model folder: perplexity or multiple-choice accuracy";
    public string Usage => """
        usage: cluster eval --model DIR [--adapter DIR] --task perplexity|multiple-choice --input FILE
                            [--shots K] [--template NAME] [--context N] [--json] [--tokenizer byte|DIR] [--threads N]

          --task perplexity       FILE is JSONL {"text": ...}: mean NLL per token and its exp; texts longer
                                  than the context are scored with a sliding window
          --task multiple-choice  FILE is JSONL {"question", "A", "B", "C", "D", "answer"[, "subject"]};
                                  each choice is scored by the log-likelihood of " A", " B", ... after the
                                  MMLU prompt; accuracy overall and per subject
          --shots K               the first K items of each subject are its few-shot examples (not scored)
          --template NAME         render the prompt as a user turn of this chat template
          --context N             perplexity window (default: the model's max_position_embeddings)
          --json                  print one JSON object with the results
          --tokenizer X           byte, or a folder with tokenizer.json (default: the model folder's)
          --threads N             CPU threads for libtorch
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = new ArgumentReader("cluster eval", args,
            ["--model", "--adapter", "--task", "--input", "--shots", "--template", "--context", "--tokenizer", "--threads"], ["--json"]);
        reader.AtMostPositionals(0, "flags only (see cluster eval --help)");
        var modelDir = reader.One("--model") ?? throw new UsageException("cluster eval: --model DIR is required");
        var kind = EvalTask.ParseKind(reader.One("--task") ?? throw new UsageException("cluster eval: --task perplexity|multiple-choice is required"));
        var input = reader.One("--input") ?? throw new UsageException("cluster eval: --input FILE is required");
        int shots = Flags.Int(reader, "--shots") ?? 0;
        if (shots < 0) throw new UsageException($"--shots {shots}: accepted: 0 or more");
        bool json = reader.Has("--json");

        using var model = InferenceModel.Load(modelDir, reader.One("--adapter"), reader.One("--tokenizer"), Flags.Int(reader, "--threads"));
        var template = reader.One("--template") is string name ? model.Template(name) : null;
        JsonObject result;
        if (kind == EvalTaskKind.MultipleChoice)
        {
            var r = MultipleChoiceTask.Run(model.Model, model.Tokenizer, input, shots, template);
            result = new JsonObject
            {
                ["task"] = "multiple-choice",
                ["accuracy"] = r.Accuracy,
                ["correct"] = r.Correct,
                ["count"] = r.Count,
                ["shots"] = shots,
                ["shot_items"] = r.Shots,
                ["per_subject"] = new JsonObject(r.PerSubject.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s =>
                    new KeyValuePair<string, JsonNode?>(s.Key, new JsonObject { ["accuracy"] = s.Value.Accuracy, ["correct"] = s.Value.Correct, ["count"] = s.Value.Count }))),
            };
            if (!json)
            {
                Console.WriteLine($"multiple-choice: accuracy {r.Accuracy:P2} ({r.Correct}/{r.Count}), {shots} shots ({r.Shots} items used as examples)");
                foreach (var (subject, score) in r.PerSubject.OrderBy(s => s.Key, StringComparer.Ordinal))
                    if (subject.Length > 0) Console.WriteLine($"  {subject,-40} {score.Accuracy,8:P2} ({score.Correct}/{score.Count})");
            }
        }
        else
        {
            var r = PerplexityTask.Run(model.Model, model.Tokenizer, input, Flags.Int(reader, "--context"));
            result = new JsonObject { ["task"] = "perplexity", ["perplexity"] = r.Perplexity, ["nll"] = r.MeanNll, ["tokens"] = r.Tokens, ["texts"] = r.Texts };
            if (!json) Console.WriteLine($"perplexity: {r.Perplexity:F4} (mean NLL {r.MeanNll:F4} over {r.Tokens} tokens of {r.Texts} texts)");
        }
        if (json) Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        return ExitCodes.Ok;
    }
}
