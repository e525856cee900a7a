using System.Text.Json.Nodes;

namespace Athanor.Cli.Tests;

/// <summary>train -> export -> generate -> eval through the real executable, full and LoRA, merged and not.</summary>
public class AfterTrainingRoundTripTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private static ClusterProcess.Result Ok(string dir, params string[] args)
    {
        var result = ClusterProcess.Run(dir, Limit, args);
        Assert.True(result.ExitCode == 0, $"cluster {string.Join(' ', args)} exited {result.ExitCode}:\n{result.All}");
        return result;
    }

    private static void Refused(string dir, string expected, params string[] args)
    {
        var result = ClusterProcess.Run(dir, Limit, args);
        Assert.True(result.ExitCode == 2, $"cluster {string.Join(' ', args)} exited {result.ExitCode}:\n{result.All}");
        Assert.Contains(expected, result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    private static JsonObject Json(string line) => JsonNode.Parse(line)!.AsObject();

    [Fact]
    public void TrainExportGenerateAndEvalFullAndLora()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        string P(params string[] parts) => Path.Combine([dir, .. parts]);
        var job = TinyJob.Write(dir);
        Ok(dir, "train", job);

        // Full run -> Hugging Face folder, sharded small enough to need an index.
        var export = Ok(dir, "export", "--checkpoint", P("out"), "--output", P("full"), "--shard-size", "20KB");
        Assert.Contains("done: Hugging Face model in", export.Stdout);
        Assert.True(File.Exists(P("full", "model.safetensors.index.json")));
        Assert.True(File.Exists(P("full", "generation_config.json")));
        Assert.Equal("float32", Json(File.ReadAllText(P("full", "config.json")))["torch_dtype"]!.GetValue<string>());

        // One prompt through the template, as JSON.
        var one = Ok(dir, "generate", "--model", P("full"), "--template", "default", "--prompt", "Who are you?", "--max-new-tokens", "8", "--json");
        var row = Json(one.Stdout.Trim());
        Assert.Equal("Who are you?", row["prompt"]!.GetValue<string>());
        Assert.InRange(row["tokens"]!.GetValue<int>(), 0, 8);
        Assert.Contains("tokens/s", one.Stderr);

        // A file of prompts, batched, written as JSONL; sampling is reproducible by seed.
        File.WriteAllLines(P("prompts.jsonl"), ["{\"prompt\": \"Hello\"}", "{\"prompt\": \"What is your name?\"}", "{\"prompt\": \"Tell me a story.\"}"]);
        string[] sample = ["generate", "--model", P("full"), "--template", "default", "--input", P("prompts.jsonl"), "--batch-size", "2",
            "--max-new-tokens", "6", "--temperature", "0.9", "--top-p", "0.9", "--top-k", "40", "--seed", "3"];
        Ok(dir, [.. sample, "--output", P("a.jsonl")]);
        Ok(dir, [.. sample, "--output", P("b.jsonl")]);
        var lines = File.ReadAllLines(P("a.jsonl"));
        Assert.Equal(["Hello", "What is your name?", "Tell me a story."], lines.Select(l => Json(l)["prompt"]!.GetValue<string>()));
        Assert.Equal(lines, File.ReadAllLines(P("b.jsonl")));

        // Multiple choice with one shot per subject, and perplexity.
        File.WriteAllLines(P("mc.jsonl"),
        [
            "{\"question\": \"Who are you?\", \"A\": \"an assistant\", \"B\": \"a cat\", \"C\": \"a car\", \"D\": \"a tree\", \"answer\": \"A\", \"subject\": \"identity\"}",
            "{\"question\": \"Who made you?\", \"A\": \"nobody\", \"B\": \"a developer\", \"C\": \"the sea\", \"D\": \"a bird\", \"answer\": \"B\", \"subject\": \"identity\"}",
            "{\"question\": \"What are you?\", \"A\": \"a rock\", \"B\": \"a fish\", \"C\": \"an AI\", \"D\": \"a cloud\", \"answer\": \"C\", \"subject\": \"identity\"}",
            "{\"question\": \"2+2?\", \"A\": \"3\", \"B\": \"4\", \"C\": \"5\", \"D\": \"6\", \"answer\": \"B\", \"subject\": \"math\"}",
            "{\"question\": \"3+3?\", \"A\": \"6\", \"B\": \"7\", \"C\": \"8\", \"D\": \"9\", \"answer\": \"A\", \"subject\": \"math\"}",
        ]);
        var mc = Json(Ok(dir, "eval", "--model", P("full"), "--task", "multiple-choice", "--input", P("mc.jsonl"), "--shots", "1", "--json").Stdout.Trim());
        Assert.Equal(3, mc["count"]!.GetValue<int>());
        Assert.InRange(mc["accuracy"]!.GetValue<double>(), 0, 1);
        Assert.Equal(2, mc["per_subject"]!["identity"]!["count"]!.GetValue<int>());
        Assert.Equal(1, mc["per_subject"]!["math"]!["count"]!.GetValue<int>());
        File.WriteAllLines(P("texts.jsonl"), ["{\"text\": \"I am an AI assistant.\"}", "{\"text\": \"Hello! How can I help you today?\"}"]);
        var ppl = Json(Ok(dir, "eval", "--model", P("full"), "--task", "perplexity", "--input", P("texts.jsonl"), "--context", "16", "--json").Stdout.Trim());
        Assert.True(ppl["perplexity"]!.GetValue<double>() is > 1 and < 262, ppl.ToJsonString());
        Assert.Equal(21 + 32, ppl["tokens"]!.GetValue<int>());

        // LoRA on top of the exported model: the adapter alone, and merged; both generate the same greedy text.
        Ok(dir, "train", job, "--set", $"model_name_or_path={P("full")}", "--set", "init=pretrained", "--set", "finetuning_type=lora",
            "--set", "lora_rank=4", "--set", "max_steps=4", "--set", $"output_dir={P("lora-run")}");
        Ok(dir, "export", "--checkpoint", P("lora-run"), "--output", P("adapter"));
        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], Directory.GetFiles(P("adapter")).Select(Path.GetFileName).Order());
        Ok(dir, "export", "--checkpoint", P("lora-run"), "--output", P("merged"), "--merge-lora", "--dtype", "fp32");
        Assert.True(File.Exists(P("merged", "model.safetensors")));
        string[] greedy = ["--template", "default", "--prompt", "Who are you?", "--max-new-tokens", "8", "--json"];
        var viaAdapter = Json(Ok(dir, ["generate", "--model", P("full"), "--adapter", P("adapter"), .. greedy]).Stdout.Trim());
        var viaMerged = Json(Ok(dir, ["generate", "--model", P("merged"), .. greedy]).Stdout.Trim());
        Assert.Equal(viaAdapter.ToJsonString(), viaMerged.ToJsonString());
    }

    [Fact]
    public void BadInputsAreOneLineErrors()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        Directory.CreateDirectory(Path.Combine(dir, "checkpoint-7"));
        Refused(dir, "not a complete checkpoint: no manifest", "export", "--checkpoint", Path.Combine(dir, "checkpoint-7"), "--output", Path.Combine(dir, "x"));
        Refused(dir, "--dtype 'int4' is not supported; accepted: bf16, fp16, fp32", "export", "--checkpoint", dir, "--output", "x", "--dtype", "int4");
        Refused(dir, "--shard-size '5 parsecs' is not a size", "export", "--checkpoint", dir, "--output", "x", "--shard-size", "5 parsecs");
        Refused(dir, "give exactly one of --prompt TEXT or --input FILE", "generate", "--model", dir);
        Refused(dir, "task 'trivia' is not known; accepted: perplexity, multiple-choice", "eval", "--model", dir, "--task", "trivia", "--input", "x");

        // A malformed line is reported with file:line before any model is needed.
        var model = Path.Combine(dir, "model");
        Directory.CreateDirectory(model);
        var prompts = Path.Combine(dir, "prompts.jsonl");
        File.WriteAllLines(prompts, ["{\"prompt\": \"ok\"}", "{\"text\": \"wrong key\"}"]);
        Refused(dir, $"{prompts}:2: \"prompt\" is missing", "generate", "--model", model, "--input", prompts);
    }
}
