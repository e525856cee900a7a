using System.Text;
using Athanor.Data.Formats;

namespace Athanor.Tests.Data;

/// <summary>Each kind of bad record: a clear error with file:line in error mode, a count by reason in skip mode.</summary>
public sealed class BadRecordTests : IDisposable
{
    private readonly TempDatasetDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private DatasetLoadOptions Options(string datasets, OnBadRecord mode = OnBadRecord.Error) => new()
    {
        DatasetDir = _dir.Path,
        Datasets = DatasetLoadOptions.ParseNameList(datasets),
        OnBadRecord = mode,
    };

    private const string AlpacaInfo = """{"d": {"file_name": "d.jsonl"}}""";
    private const string SharegptInfo = """{"d": {"file_name": "d.jsonl", "formatting": "sharegpt", "columns": {"messages": "conversations", "system": "system"}}}""";

    private static string Jsonl(params string[] lines) => string.Join("\n", lines) + "\n";

    [Fact]
    public void MalformedLineReportsFileLineAndProblem()
    {
        _dir.Info(AlpacaInfo);
        var file = _dir.Write("d.jsonl", Jsonl(
            """{"instruction": "a", "output": "b"}""",
            "",
            """{"instruction": "c", "output": "d" """));

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d")));

        Assert.Contains($"{file}:3:", ex.Message);
        Assert.Contains("malformed JSON", ex.Message);
        Assert.Contains("dataset 'd'", ex.Message);
        Assert.Contains("on_bad_record: skip", ex.Message);
    }

    [Fact]
    public void InvalidUtf8IsDetectedNotReplaced()
    {
        _dir.Info(AlpacaInfo);
        var bytes = Encoding.UTF8.GetBytes(Jsonl("""{"instruction": "ok", "output": "fine"}""", """{"instruction": "bad X", "output": "b"}"""));
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xFF;
        var file = _dir.WriteBytes("d.jsonl", bytes);

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d")));
        Assert.Contains($"{file}:2:", ex.Message);
        Assert.Contains("invalid UTF-8 byte 0xFF", ex.Message);

        var skipped = DatasetLoader.LoadConversations(Options("d", OnBadRecord.Skip));
        Assert.Equal("ok", Assert.Single(skipped.Train).Messages[0].Content);
        Assert.Equal(1, skipped.Report.Datasets[0].SkippedByReason[BadRecordKind.InvalidUtf8]);
    }

    [Fact]
    public void InvalidUtf8InsideAJsonArrayElementIsSkippableAndLocated()
    {
        _dir.Info("""{"d": {"file_name": "d.json"}}""");
        var bytes = Encoding.UTF8.GetBytes("[\n{\"instruction\": \"a\", \"output\": \"b\"},\n{\"instruction\": \"a\",\n \"output\": \"bXd\"},\n{\"instruction\": \"c\", \"output\": \"d\"}\n]");
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xC3; // a lead byte followed by ASCII: invalid
        var file = _dir.WriteBytes("d.json", bytes);

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d")));
        Assert.Contains($"{file}:4:", ex.Message); // the element starts on line 3; the bad byte is on line 4

        var skipped = DatasetLoader.LoadConversations(Options("d", OnBadRecord.Skip));
        Assert.Equal(["a", "c"], skipped.Train.Select(c => c.Messages[0].Content));
    }

    [Fact]
    public void MissingColumnNamesTheColumn()
    {
        _dir.Info(AlpacaInfo);
        var file = _dir.Write("d.jsonl", Jsonl("""{"instruction": "a", "output": "b"}""", """{"instruction": "a", "answer": "b"}"""));

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d")));

        Assert.Contains($"{file}:2:", ex.Message);
        Assert.Contains("missing column 'output'", ex.Message);
    }

    [Fact]
    public void WrongColumnTypeNamesTheTypeFound()
    {
        _dir.Info(AlpacaInfo);
        _dir.Write("d.jsonl", Jsonl("""{"instruction": "a", "output": 42}"""));

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d")));

        Assert.Contains("column 'output' is a JSON Number; expected a string", ex.Message);
    }

    [Fact]
    public void EmptyAssistantTurnIsBad()
    {
        _dir.Info(AlpacaInfo);
        var file = _dir.Write("d.jsonl", Jsonl("""{"instruction": "a", "output": "  "}"""));

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d")));

        Assert.Contains($"{file}:1:", ex.Message);
        Assert.Contains("column 'output' (the assistant response) is empty", ex.Message);
    }

    [Fact]
    public void SharegptEmptyFunctionCallIsBad()
    {
        _dir.Info(SharegptInfo);
        _dir.Write("d.jsonl", Jsonl("""{"conversations": [{"from": "human", "value": "q"}, {"from": "function_call", "value": ""}]}"""));

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d")));

        Assert.Contains("turn 2 (function_call) has empty value", ex.Message);
    }

    [Theory]
    [InlineData("""[{"from": "gpt", "value": "a"}, {"from": "human", "value": "q"}]""", "turn 1 has from 'gpt' where a user-side turn is expected ('human' or 'observation')")]
    [InlineData("""[{"from": "human", "value": "q"}, {"from": "human", "value": "q"}]""", "turn 2 has from 'human' where a assistant-side turn is expected ('gpt' or 'function_call')")]
    [InlineData("""[{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}, {"from": "human", "value": "q"}]""", "3 turns: the last turn (user) is user-side")]
    [InlineData("""[{"from": "human", "value": "q"}, {"from": "bot", "value": "a"}]""", "turn 2 has from 'bot'")]
    [InlineData("""[{"from": "system", "value": "s"}]""", "has no turns besides the system turn")]
    [InlineData("""[{"from": "human", "text": "q"}, {"from": "gpt", "value": "a"}]""", "turn 1 has no 'value'")]
    public void SharegptTurnOrderIsValidatedAsLlamaFactory(string conversation, string reason)
    {
        _dir.Info(SharegptInfo);
        var file = _dir.Write("d.jsonl", Jsonl($$"""{"conversations": {{conversation}}}"""));

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d")));

        Assert.Contains($"{file}:1:", ex.Message);
        Assert.Contains(reason, ex.Message);
    }

    [Fact]
    public void SkipModeCountsEveryBadRecordByReason()
    {
        _dir.Info(AlpacaInfo);
        var bytes = Encoding.UTF8.GetBytes(Jsonl(
            """{"instruction": "keep1", "output": "b"}""",
            """{"instruction": "a", "output": ""}""",
            """not json""",
            """{"instruction": "a"}""",
            """["an array"]""",
            """{"instruction": "keep2", "output": "b"}""",
            """{"instruction": "a", "output": ""}""",
            """{"instruction": "Z", "output": "b"}""",
            """{"instruction": "a", "output": ["x"]}""",
            """{"instruction": "bad escape \ud800", "output": "b"}"""));
        bytes[Array.IndexOf(bytes, (byte)'Z')] = 0x80;
        var file = _dir.WriteBytes("d.jsonl", bytes);

        var loaded = DatasetLoader.LoadConversations(Options("d", OnBadRecord.Skip));

        Assert.Equal(["keep1", "keep2"], loaded.Train.Select(c => c.Messages[0].Content));
        var report = loaded.Report.Datasets[0];
        Assert.Equal(10, report.RecordsRead);
        Assert.Equal(2, report.Kept);
        Assert.Equal(8, report.Skipped);
        Assert.Equal(2, report.SkippedByReason[BadRecordKind.EmptyAssistantTurn]);
        Assert.Equal(1, report.SkippedByReason[BadRecordKind.MalformedJson]);
        Assert.Equal(1, report.SkippedByReason[BadRecordKind.MissingColumn]);
        Assert.Equal(1, report.SkippedByReason[BadRecordKind.NotAnObject]);
        Assert.Equal(1, report.SkippedByReason[BadRecordKind.InvalidUtf8]);
        Assert.Equal(1, report.SkippedByReason[BadRecordKind.WrongType]);
        Assert.Equal(1, report.SkippedByReason[BadRecordKind.InvalidText]);
        Assert.Equal(2, report.FirstSkipped[BadRecordKind.EmptyAssistantTurn].Line); // the first of the two
        Assert.Equal($"{file}:3", report.FirstSkipped[BadRecordKind.MalformedJson].Location);
        Assert.Equal(8, loaded.Report.TotalSkipped);
        Assert.Contains("EmptyAssistantTurn 2", loaded.Report.ToString());
    }

    [Fact]
    public void BrokenJsonArrayIsFatalEvenInSkipModeWithItsLine()
    {
        _dir.Info("""{"d": {"file_name": "d.json"}}""");
        var file = _dir.Write("d.json", "[\n{\"instruction\": \"a\", \"output\": \"b\"},\n{\"instruction\": \"a\" \"output\": \"b\"}\n]");

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d", OnBadRecord.Skip)));

        Assert.Contains($"{file}:3:", ex.Message);
        Assert.Contains("malformed JSON", ex.Message);
        Assert.Contains("cannot be read past this point", ex.Message);
    }

    [Fact]
    public void TruncatedJsonArrayIsReported()
    {
        _dir.Info("""{"d": {"file_name": "d.json"}}""");
        var file = _dir.Write("d.json", "[\n{\"instruction\": \"a\", \"output\": \"b\"},\n");

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d")));

        Assert.Contains(file, ex.Message);
        Assert.Contains("ends inside the top-level array", ex.Message);
    }

    [Fact]
    public void RecordThatIsNotAnObjectSaysWhatIsExpected()
    {
        _dir.Info("""{"d": {"file_name": "d.json"}}""");
        var file = _dir.Write("d.json", "\"just a string\"\n");

        var ex = Assert.Throws<DatasetException>(() => DatasetLoader.LoadConversations(Options("d")));

        Assert.Contains($"{file}:1: bad record in dataset 'd': the record is a JSON String; expected an object of columns.", ex.Message);
    }
}
