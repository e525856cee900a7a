using Athanor.Data;
using Athanor.Data.Formats;

namespace Athanor.Tests.Data;

public sealed class DatasetLoaderTests : IDisposable
{
    private readonly TempDatasetDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private DatasetLoadOptions Options(string datasets) => new()
    {
        DatasetDir = _dir.Path,
        Datasets = DatasetLoadOptions.ParseNameList(datasets),
    };

    [Fact]
    public void AlpacaHistorySystemAndToolsColumns()
    {
        _dir.Info("""{"d": {"file_name": "d.json", "columns": {"prompt": "instruction", "query": "input", "response": "output", "history": "history", "system": "system", "tools": "tools"}}}""");
        _dir.Write("d.json", """
            [{"instruction": "now", "input": "", "output": "answer", "system": "be brief",
              "history": [["first q", "first a"], ["second q", "second a"]],
              "tools": [{"name": "f", "parameters": {"type": "object"}}]},
             {"instruction": "", "input": "only input", "output": "x", "system": "", "tools": "", "history": null}]
            """);

        var train = DatasetLoader.LoadConversations(Options("d")).Train;

        Assert.Equal(
            [("user", "first q"), ("assistant", "first a"), ("user", "second q"), ("assistant", "second a"), ("user", "now"), ("assistant", "answer")],
            train[0].Messages.Select(m => (m.Role, m.Content)));
        Assert.Equal("be brief", train[0].System);
        Assert.Equal("""[{"name":"f","parameters":{"type":"object"}}]""", train[0].Tools); // compact JSON text
        Assert.Equal("only input", train[1].Messages[0].Content);
        Assert.Null(train[1].System);
        Assert.Null(train[1].Tools);
    }

    [Fact]
    public void BadHistoryPairIsAWrongTypeRecord()
    {
        _dir.Info("""{"d": {"file_name": "d.jsonl", "columns": {"prompt": "instruction", "response": "output", "history": "history"}}}""");
        _dir.Write("d.jsonl", """{"instruction": "q", "output": "a", "history": [["only one"]]}""" + "\n");

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d")));

        Assert.Contains("column 'history' item 1 is an array of 1; expected a [user, assistant] pair of strings", ex.Message);
    }

    [Fact]
    public void SharegptSystemTurnCustomTagsAndSystemColumn()
    {
        _dir.Info("""
            {"t": {"file_name": "t.jsonl", "formatting": "sharegpt",
                   "columns": {"messages": "messages", "system": "sys"},
                   "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant", "system_tag": "system"}}}
            """);
        _dir.Write("t.jsonl", string.Join("\n",
            """{"messages": [{"role": "system", "content": "from turn"}, {"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "sys": "ignored"}""",
            """{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "sys": "from column"}""",
            """{"messages": [{"role": "user", "content": "q"}, {"role": "function_call", "content": "f"}]}"""));

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("t")));
        // function_tag is null once a tags object is given (LLaMA-Factory semantics), so "function_call" is not accepted.
        Assert.Contains("t.jsonl:3:", ex.Message);
        Assert.Contains("turn 2 has role 'function_call' where a assistant-side turn is expected ('assistant')", ex.Message);

        var loaded = DatasetLoader.LoadConversations(Options("t") with { OnBadRecord = OnBadRecord.Skip });
        Assert.Equal(["from turn", "from column"], loaded.Train.Select(c => c.System));
        Assert.All(loaded.Train, c => Assert.Equal(["user", "assistant"], c.Messages.Select(m => m.Role)));
    }

    [Fact]
    public void FolderFileNameReadsItsFilesInNameOrder()
    {
        _dir.Info("""{"d": {"file_name": "parts"}}""");
        _dir.Write("parts/b.jsonl", """{"instruction": "b1", "output": "x"}""" + "\n");
        _dir.Write("parts/a.json", """[{"instruction": "a1", "output": "x"}, {"instruction": "a2", "output": "x"}]""");

        var loaded = DatasetLoader.LoadConversations(Options("d"));

        Assert.Equal(["a1", "a2", "b1"], loaded.Train.Select(c => c.Messages[0].Content));
        Assert.Equal(2, loaded.Report.Datasets[0].Files.Count);
    }

    [Fact]
    public void FolderWithOtherFileTypesAndMissingFilesAreClearErrors()
    {
        _dir.Info("""{"d": {"file_name": "parts"}, "m": {"file_name": "missing.json"}}""");
        _dir.Write("parts/a.json", "[]");
        _dir.Write("parts/notes.txt", "hi");

        Assert.Contains("may only hold .json, .jsonl files", Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d"))).Message);
        Assert.Contains("file_name 'missing.json' not found", Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("m"))).Message);
    }

    [Fact]
    public void MaxSamplesTakesTheFirstRawRecordsOfEachDataset()
    {
        _dir.Info("""{"a": {"file_name": "a.jsonl"}, "b": {"file_name": "b.jsonl"}}""");
        // LLaMA-Factory truncates raw rows before dropping bad ones: a bad record among the first N counts toward N.
        _dir.Write("a.jsonl", string.Join("\n",
            """{"instruction": "a1", "output": "x"}""", """{"instruction": "a2", "output": ""}""",
            """{"instruction": "a3", "output": "x"}""", "this line is never read"));
        _dir.Write("b.jsonl", string.Join("\n", Enumerable.Range(1, 5).Select(i => $$"""{"instruction": "b{{i}}", "output": "x"}""")));

        var loaded = DatasetLoader.LoadConversations(Options("a,b") with { MaxSamples = 3, OnBadRecord = OnBadRecord.Skip });

        Assert.Equal(["a1", "a3", "b1", "b2", "b3"], loaded.Train.Select(c => c.Messages[0].Content));
        Assert.Equal([3L, 3L], loaded.Report.Datasets.Select(d => d.RecordsRead));
        Assert.Equal(1, loaded.Report.Datasets[0].SkippedByReason[BadRecordKind.EmptyAssistantTurn]);
    }

    [Fact]
    public void EvalDatasetFillsValidation()
    {
        _dir.Info("""{"a": {"file_name": "a.jsonl"}, "b": {"file_name": "b.jsonl"}}""");
        _dir.Write("a.jsonl", """{"instruction": "a1", "output": "x"}""");
        _dir.Write("b.jsonl", """{"instruction": "b1", "output": "x"}""");

        var loaded = DatasetLoader.LoadConversations(Options("a") with { EvalDatasets = ["b"] });

        Assert.Equal("a1", Assert.Single(loaded.Train).Messages[0].Content);
        Assert.Equal("b1", Assert.Single(loaded.Validation).Messages[0].Content);
        Assert.Equal(["train", "eval"], loaded.Report.Datasets.Select(d => d.Split));
        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("a") with { EvalDatasets = ["b"], ValSize = 0.1 }));
        Assert.Contains("cannot be combined with eval_dataset", ex.Message);
    }

    [Fact]
    public void ValSizeSplitsDeterministicallyAndCoversEveryRecord()
    {
        var options = DemoData.Options("identity,alpaca_en_demo") with { ValSize = 0.1, Seed = 42 };

        var first = DatasetLoader.LoadConversations(options);
        var again = DatasetLoader.LoadConversations(options);
        var otherSeed = DatasetLoader.LoadConversations(options with { Seed = 7 });

        Assert.Equal(109, first.Validation.Count); // ceil(0.1 * 1090), as HF's train_test_split
        Assert.Equal(981, first.Train.Count);
        Assert.Equal((981, 109), (first.Report.TrainCount, first.Report.ValidationCount));
        Assert.Equal(first.Validation.Select(Key), again.Validation.Select(Key));
        Assert.Equal(first.Train.Select(Key), again.Train.Select(Key));
        Assert.NotEqual(first.Validation.Select(Key), otherSeed.Validation.Select(Key));
        var all = DatasetLoader.LoadConversations(DemoData.Options("identity,alpaca_en_demo")).Train;
        Assert.Equal(
            all.Select(Key).Order(StringComparer.Ordinal),
            first.Train.Concat(first.Validation).Select(Key).Order(StringComparer.Ordinal));

        var counted = DatasetLoader.LoadConversations(options with { ValSize = 25 });
        Assert.Equal((1065, 25), (counted.Train.Count, counted.Validation.Count));
    }

    [Theory]
    [InlineData(2.5, "val_size 2.5 is not accepted")]
    [InlineData(-0.1, "val_size -0.1 is not accepted")]
    [InlineData(91, "takes 91 of 91 records, leaving no training data")]
    public void BadValSizeIsAClearError(double valSize, string expected)
    {
        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(DemoData.Options("identity") with { ValSize = valSize }));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void DatasetListParsingAndOptionErrors()
    {
        Assert.Equal(["identity", "alpaca_en_demo"], DatasetLoadOptions.ParseNameList(" identity , alpaca_en_demo"));
        Assert.Contains("has an empty name", Assert.Throws<DatasetException>(() => DatasetLoadOptions.ParseNameList("identity,,x")).Message);
        Assert.Equal(OnBadRecord.Skip, DatasetLoadOptions.ParseOnBadRecord("skip"));
        Assert.Contains("accepted: error, skip", Assert.Throws<DatasetException>(() => DatasetLoadOptions.ParseOnBadRecord("ignore")).Message);
        Assert.Contains("max_samples 0", Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(DemoData.Options("identity") with { MaxSamples = 0 })).Message);
    }

    [Fact]
    public void UnknownDatasetFailsBeforeReadingAnything()
    {
        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(DemoData.Options("identity,alpaca_en_dem")));

        Assert.Contains("undefined dataset 'alpaca_en_dem'", ex.Message);
        Assert.Contains("Known datasets: identity, alpaca_en_demo, alpaca_zh_demo", ex.Message);
    }

    [Fact]
    public void StreamingOneDatasetCountsAsItGoes()
    {
        var entry = DatasetInfo.Load(DemoData.Dir).Get("alpaca_zh_demo");
        var report = new DatasetReport(entry.Name, "train");

        var firstTen = DatasetLoader.StreamConversations(entry, report, OnBadRecord.Error).Take(10).ToList();

        Assert.Equal(10, firstTen.Count);
        Assert.Equal(10, report.Kept); // lazily read: only what was pulled
    }

    private static string Key(Conversation c) => string.Join("\u0001", c.Messages.Select(m => m.Content));
}
