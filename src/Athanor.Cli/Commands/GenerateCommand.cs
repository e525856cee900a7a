using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Athanor.Inference;

namespace Athanor.Cli.Commands;

/// <summary>`cluster generate`: completions from a model folder with KV-cache decoding.</summary>
public sealed class GenerateCommand : ICommand
{
    public string Name => "generate";
    public string Summary => "generate text from a model folder (optionally with a LoRA adapter)";
    public string Usage => """
        usage: cluster generate --model DIR [--adapter DIR] [--template NAME] (--prompt TEXT | --input FILE)
                                [--max-new-tokens N] [--temperature T] [--top-p P] [--top-k K] [--seed S]
                                [--batch-size N] [--output FILE] [--json] [--tokenizer byte|DIR] [--threads N]

          --model DIR        a Hugging Face model folder (e.g. from cluster export)
          --adapter DIR      a PEFT LoRA adapter for that model, merged in before decoding
          --template NAME    render each prompt as a user turn of this chat template ("model" or a
                             LLaMA-Factory name) followed by the assistant's generation prompt
          --prompt TEXT      one prompt; or --input FILE: JSONL with {"prompt": ...} per line
          --max-new-tokens   default 128; decoding also stops at eos and the template's stop tokens
          --temperature T    0 (default) is greedy; above 0 samples, with --top-p (default 1) and
                             --top-k (default 0 = off), reproducibly from --seed (default 0)
          --batch-size N     prompts decoded together, left-padded (default 8)
          --output FILE      write JSONL {"prompt", "completion", "tokens"}; --json writes it to stdout
          --tokenizer X      byte, or a folder with tokenizer.json (default: the model folder's)
          --threads N        CPU threads for libtorch (small models decode fastest with 1)
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = new ArgumentReader("cluster generate", args,
            ["--model", "--adapter", "--template", "--prompt", "--input", "--max-new-tokens", "--temperature", "--top-p", "--top-k",
             "--seed", "--batch-size", "--output", "--tokenizer", "--threads"], ["--json"]);
        reader.AtMostPositionals(0, "flags only (see cluster generate --help)");
        var modelDir = reader.One("--model") ?? throw new UsageException("cluster generate: --model DIR is required");
        var prompt = reader.One("--prompt");
        var input = reader.One("--input");
        if ((prompt is null) == (input is null))
            throw new UsageException("cluster generate: give exactly one of --prompt TEXT or --input FILE");
        var prompts = prompt is not null ? [prompt] : PromptFile.Read(input!);
        var options = new GenerationOptions
        {
            MaxNewTokens = Flags.Int(reader, "--max-new-tokens") ?? 128,
            Temperature = Flags.Double(reader, "--temperature") ?? 0,
            TopP = Flags.Double(reader, "--top-p") ?? 1,
            TopK = Flags.Int(reader, "--top-k") ?? 0,
            Seed = Flags.Int(reader, "--seed") ?? 0,
            BatchSize = Flags.Int(reader, "--batch-size") ?? 8,
        }.Validated();

        using var model = InferenceModel.Load(modelDir, reader.One("--adapter"), reader.One("--tokenizer"), Flags.Int(reader, "--threads"));
        var template = reader.One("--template") is string name ? model.Template(name) : null;
        var (completions, stats) = TextGeneration.Run(model, prompts, options, template);

        var output = reader.One("--output");
        if (output is not null || reader.Has("--json"))
        {
            var lines = completions.Select(c => new JsonObject
            {
                ["prompt"] = c.Prompt,
                ["completion"] = c.Text,
                ["tokens"] = c.Tokens,
            }.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            if (output is not null) File.WriteAllLines(output, lines);
            if (reader.Has("--json")) foreach (var line in lines) Console.WriteLine(line);
        }
        else
        {
            foreach (var c in completions)
            {
                if (prompts.Count > 1) Console.WriteLine($"> {c.Prompt}");
                Console.WriteLine(c.Text);
                if (prompts.Count > 1) Console.WriteLine();
            }
        }
        Console.Error.WriteLine($"generated {stats.GeneratedTokens} tokens for {prompts.Count} prompt(s) in {stats.TotalSeconds:F2} s: " +
            $"{stats.TokensPerSecond:F1} tokens/s (prefill {stats.PromptTokens} tokens in {stats.PrefillSeconds * 1000:F0} ms)" +
            (output is not null ? $"; wrote {output}" : ""));
        return ExitCodes.Ok;
    }
}

/// <summary>Numeric flag values, each bad one a usage error naming the flag and the value.</summary>
internal static class Flags
{
    public static int? Int(ArgumentReader reader, string flag) => reader.One(flag) is string s
        ? int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v
            : throw new UsageException($"{flag} '{s}' is not an integer")
        : null;

    public static double? Double(ArgumentReader reader, string flag) => reader.One(flag) is string s
        ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v
            : throw new UsageException($"{flag} '{s}' is not a number")
        : null;
}
