using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Athanor.Cli.Tests;

public class TrainCommandTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public void TrainsAJobFileAndLeavesAHuggingFaceFolder()
    {
        using var temp = new TempFolder();
        var job = TinyJob.Write(temp.Path);
        var result = ClusterProcess.Run(temp.Path, Limit, "train", job);
        Assert.True(result.ExitCode == 0, result.All);
        var outDir = Path.Combine(temp.Path, "out");
        var rows = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal([2, 4, 6, 8, 10, 12], rows.Select(r => r["step"]!.GetValue<int>()));
        Assert.All(rows, r => Assert.True(r.ContainsKey("loss") && r.ContainsKey("lr") && r.ContainsKey("grad_norm") && r.ContainsKey("tokens_per_s")));
        Assert.True(File.Exists(Path.Combine(outDir, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(outDir, "config.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "athanor_config.yaml")));
        Assert.True(File.Exists(Path.Combine(outDir, "checkpoint-10", "athanor-checkpoint.json")));
        Assert.Contains("step    12/12", result.Stdout);
    }

    [Fact]
    public void LoraJobWritesAPeftAdapter()
    {
        using var temp = new TempFolder();
        var job = TinyJob.Write(temp.Path);
        var result = ClusterProcess.Run(temp.Path, Limit, "train", job, "--set", "finetuning_type=lora", "--set", "lora_rank=4", "--set", "max_steps=4");
        Assert.True(result.ExitCode == 0, result.All);
        var adapter = JsonNode.Parse(File.ReadAllText(Path.Combine(temp.Path, "out", "adapter_config.json")))!;
        Assert.Equal("LORA", adapter["peft_type"]!.GetValue<string>());
        Assert.Equal(4, adapter["r"]!.GetValue<int>());
        Assert.True(File.Exists(Path.Combine(temp.Path, "out", "adapter_model.safetensors")));
        Assert.False(File.Exists(Path.Combine(temp.Path, "out", "model.safetensors")));
    }

    [Fact]
    public void SigintSavesACheckpointAndAutoResumeFinishesTheRun()
    {
        using var temp = new TempFolder();
        var job = TinyJob.Write(temp.Path);
        using (var process = ClusterProcess.Start(temp.Path, ["train", job, "--set", "max_steps=400", "--set", "save_steps=1000", "--set", "logging_steps=1"], out var stdout, out var stderr))
        {
            var metrics = Path.Combine(temp.Path, "out", "metrics.jsonl");
            var clock = Stopwatch.StartNew();
            while (!(File.Exists(metrics) && File.ReadAllLines(metrics).Length >= 3))
            {
                Assert.False(process.HasExited, $"exited early:\n{stdout}\n{stderr}");
                Assert.True(clock.Elapsed < Limit, "no progress");
                Thread.Sleep(100);
            }
            Process.Start("kill", ["-INT", process.Id.ToString()])!.WaitForExit();
            Assert.True(process.WaitForExit(Limit));
            process.WaitForExit();
            Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}:\n{stdout}\n{stderr}");
            Assert.Contains("resume_from_checkpoint=auto", stdout.ToString());
        }
        var saved = Directory.GetDirectories(Path.Combine(temp.Path, "out"), "checkpoint-*").Single();
        int savedStep = int.Parse(Path.GetFileName(saved)["checkpoint-".Length..]);
        Assert.InRange(savedStep, 3, 399);

        var resumed = ClusterProcess.Run(temp.Path, Limit, "train", job, "--set", "max_steps=400", "--set", "save_steps=1000",
            "--set", "logging_steps=50", "--set", "resume_from_checkpoint=auto");
        Assert.True(resumed.ExitCode == 0, resumed.All);
        Assert.Contains($"at step {savedStep}", resumed.Stdout);
        Assert.True(File.Exists(Path.Combine(temp.Path, "out", "checkpoint-400", "athanor-checkpoint.json")));
    }

    [Fact]
    public void TwoRanksWithZero2FollowTheOneRankLossCurve()
    {
        using var temp = new TempFolder();
        var job = TinyJob.Write(temp.Path);
        List<double> Losses(string name, params string[] extra)
        {
            var result = ClusterProcess.Run(temp.Path, Limit, ["train", job, "--set", $"output_dir={Path.Combine(temp.Path, name)}",
                "--set", "per_device_train_batch_size=2", "--set", "gradient_accumulation_steps=2", .. extra]);
            Assert.True(result.ExitCode == 0, result.All);
            return File.ReadAllLines(Path.Combine(temp.Path, name, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!["loss"]!.GetValue<double>()).ToList();
        }
        var one = Losses("one");
        var two = Losses("two", "--world", "2", "--zero", "2");
        Assert.Equal(one.Count, two.Count);
        for (int i = 0; i < one.Count; i++)
            Assert.True(Math.Abs(one[i] - two[i]) <= 1e-5 * one[i], $"row {i}: {two[i]} vs {one[i]}");
    }

    [Fact]
    public void AWorldSizeThatCannotSplitTheGlobalBatchIsRefusedWithTheValidOnes()
    {
        using var temp = new TempFolder();
        var result = ClusterProcess.Run(temp.Path, Limit, "train", TinyJob.Write(temp.Path), "--world", "3",
            "--set", "per_device_train_batch_size=2", "--set", "gradient_accumulation_steps=2");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("world size 3 cannot split the global batch of 4", result.Stderr);
        Assert.Contains("world sizes that can: 1, 2", result.Stderr);
    }

    [Theory]
    [InlineData("--bogus", "unknown flag '--bogus'")]
    [InlineData("--set", "--set needs a value")]
    public void BadFlagsAreOneLineErrors(string flag, string expected)
    {
        using var temp = new TempFolder();
        var result = ClusterProcess.Run(temp.Path, Limit, "train", TinyJob.Write(temp.Path), flag);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void UnknownKeyIsAnErrorWithASuggestion()
    {
        using var temp = new TempFolder();
        var result = ClusterProcess.Run(temp.Path, Limit, "train", TinyJob.Write(temp.Path, "learnig_rate: 0.1"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("learnig_rate", result.Stderr);
        Assert.Contains("learning_rate", result.Stderr);
    }

    [Fact]
    public void MissingModelFolderNamesThePath()
    {
        using var temp = new TempFolder();
        var result = ClusterProcess.Run(temp.Path, Limit, "train", TinyJob.Write(temp.Path), "--set", "model_name_or_path=/nonexistent/model");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("/nonexistent/model", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void PretrainedInitWithoutWeightsSaysWhatToDo()
    {
        using var temp = new TempFolder();
        var result = ClusterProcess.Run(temp.Path, Limit, "train", TinyJob.Write(temp.Path), "--set", "init=pretrained");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("init: random", result.Stderr);
    }

    [Fact]
    public void UnknownCommandListsTheCommands()
    {
        using var temp = new TempFolder();
        var result = ClusterProcess.Run(temp.Path, Limit, "trian");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("commands: train", result.Stderr);
    }
}

public class DevNullOutputTests
{
    [Fact]
    public void WritingOutputToDevNullLeavesTheDeviceAlone()
    {
        using var temp = new TempFolder();
        var input = Path.Combine(temp.Path, "in.jsonl");
        File.WriteAllText(input, "{\"text\": \"hello\"}\n");
        var result = ClusterProcess.Run(temp.Path, TimeSpan.FromMinutes(1), "data", "tokenize", "--tokenizer", "byte", "--input", input, "--output", "/dev/null");
        Assert.True(result.ExitCode == 0, result.All);
        Assert.False(Athanor.IO.FileKind.IsRegularOrMissing("/dev/null"), "/dev/null was replaced by a regular file");
    }
}

public class DemoTests
{
    /// <summary>The README's run command: the built-in demo trains and its loss falls by more than half.</summary>
    [Fact]
    public void TheBuiltInDemoLearns()
    {
        using var temp = new TempFolder();
        var result = ClusterProcess.Run(temp.Path, TimeSpan.FromMinutes(20), "train");
        Assert.True(result.ExitCode == 0, result.All);
        var losses = File.ReadAllLines(Path.Combine(temp.Path, "runs", "demo", "metrics.jsonl"))
            .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!["loss"]).Where(n => n is not null).Select(n => n!.GetValue<double>()).ToList();
        Assert.True(losses[^1] < losses[0] / 2, $"loss went from {losses[0]} to {losses[^1]}");
        Assert.True(File.Exists(Path.Combine(temp.Path, "runs", "demo", "training_loss.png")));
        Assert.Contains("more than half", result.Stdout);
    }
}

public class EvalDuringTrainingTests
{
    [Fact]
    public void EvalTasksAndSamplePromptsRunAtEachEvaluation()
    {
        using var temp = new TempFolder();
        var mc = Path.Combine(temp.Path, "quiz.jsonl");
        File.WriteAllText(mc, string.Join("\n", Enumerable.Range(0, 4).Select(i =>
            $"{{\"question\": \"Who are you {i}?\", \"A\": \"an assistant\", \"B\": \"a cat\", \"C\": \"a tree\", \"D\": \"a car\", \"answer\": \"A\"}}")) + "\n");
        var texts = Path.Combine(temp.Path, "texts.jsonl");
        File.WriteAllText(texts, "{\"text\": \"I am an AI assistant.\"}\n{\"text\": \"Hello there.\"}\n");
        var prompts = Path.Combine(temp.Path, "prompts.jsonl");
        File.WriteAllText(prompts, "{\"prompt\": \"Who are you?\"}\n");
        var job = TinyJob.Write(temp.Path, $"val_size: 4\neval_strategy: steps\neval_steps: 6\neval_tasks: multiple-choice:{mc},perplexity:{texts}\neval_prompts: {prompts}");
        var result = ClusterProcess.Run(temp.Path, TimeSpan.FromMinutes(3), "train", job);
        Assert.True(result.ExitCode == 0, result.All);
        var evalRows = File.ReadAllLines(Path.Combine(temp.Path, "out", "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(r => r.ContainsKey("eval_loss")).ToList();
        Assert.Equal(2, evalRows.Count);
        Assert.All(evalRows, r =>
        {
            Assert.InRange(r["eval_quiz_accuracy"]!.GetValue<double>(), 0, 1);
            Assert.True(r["eval_texts_ppl"]!.GetValue<double>() > 1);
        });
        Assert.Contains("sample: Who are you? -> ", result.Stdout);
    }

    [Fact]
    public void AnEvalTaskOfUnknownKindIsABadInput()
    {
        using var temp = new TempFolder();
        var result = ClusterProcess.Run(temp.Path, TimeSpan.FromMinutes(2), "train", TinyJob.Write(temp.Path, "eval_tasks: bleu:x.jsonl"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("accepted: perplexity, multiple-choice", result.Stderr);
    }
}

public class PackingTests
{
    [Fact]
    public void PackingTrainsOnFewerLongerRows()
    {
        using var temp = new TempFolder();
        var job = TinyJob.Write(temp.Path);
        var result = ClusterProcess.Run(temp.Path, TimeSpan.FromMinutes(3), "train", job, "--set", "packing=true", "--set", "cutoff_len=512",
            "--set", "max_steps=4");
        Assert.True(result.ExitCode == 0, result.All);
        // 40 identity samples of about 100-200 bytes each: several fit in a row of 512.
        var line = result.Stdout.Split('\n').First(l => l.StartsWith("packing: ", StringComparison.Ordinal));
        Assert.StartsWith("packing: 40 samples in ", line);
        int rows = int.Parse(line.Split(' ')[4]);
        Assert.InRange(rows, 4, 20);
    }
}
