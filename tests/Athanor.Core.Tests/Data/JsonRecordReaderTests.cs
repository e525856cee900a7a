using System.Text;
using Athanor.Data.Formats;

namespace Athanor.Tests.Data;

/// <summary>The streaming readers give the same records and lines whatever the buffer size, so records
/// straddling chunk boundaries are handled and nothing requires the whole file in memory.</summary>
public sealed class JsonRecordReaderTests : IDisposable
{
    private readonly TempDatasetDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<(long Line, string Text)> ReadAll(string path, int bufferSize) =>
        JsonRecordReader.Read(path, bufferSize)
            .Select(r => (r.Line, r.IsBad ? "BAD " + r.Error!.Kind : r.Element.GetRawText()))
            .ToList();

    [Theory]
    [InlineData(16)]
    [InlineData(37)]
    [InlineData(4096)]
    public void DemoArrayReadsIdenticallyWithTinyBuffers(int bufferSize)
    {
        var path = Path.Combine(DemoData.Dir, "glaive_toolcall_en_demo.json");

        var small = ReadAll(path, bufferSize);
        var large = ReadAll(path, 1 << 20);

        Assert.Equal(300, small.Count);
        Assert.Equal(large, small);
        Assert.Equal(2, small[0].Line); // "[" is line 1, the first element opens on line 2
        Assert.True(small.Zip(small.Skip(1)).All(p => p.First.Line < p.Second.Line));
    }

    [Fact]
    public void ArrayElementLinesMatchTheFile()
    {
        var path = _dir.Write("a.json", "\uFEFF[ {\"x\": 1},\n\n  {\"x\":\n 2}, {\"x\": 3},\r\n\"primitive\"\n]\n");

        var records = ReadAll(path, 16);

        Assert.Equal([(1L, "{\"x\": 1}"), (3L, "{\"x\":\n 2}"), (4L, "{\"x\": 3}"), (5L, "\"primitive\"")], records);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(1 << 16)]
    public void JsonLinesSkipBlankLinesAndKeepNumbers(int bufferSize)
    {
        var path = _dir.Write("a.jsonl", "{\"x\": 1}\r\n\n   \n{\"x\": \"a long value that crosses the buffer\"}\n{\"x\": 3}");

        var records = ReadAll(path, bufferSize);

        Assert.Equal([(1L, "{\"x\": 1}"), (4L, "{\"x\": \"a long value that crosses the buffer\"}"), (5L, "{\"x\": 3}")], records);
    }

    [Fact]
    public void DotJsonHoldingJsonLinesIsReadAsLines()
    {
        // Hugging Face's json loader accepts JSON lines in a .json file; so do we.
        var path = _dir.Write("a.json", "{\"x\": 1}\n{\"x\": 2}\n");

        Assert.Equal([(1L, "{\"x\": 1}"), (2L, "{\"x\": 2}")], ReadAll(path, 64));
    }

    [Fact]
    public void C4JsonLinesCountMatchesWcL()
    {
        var records = ReadAll(Path.Combine(DemoData.Dir, "c4_demo.jsonl"), 64);

        Assert.Equal(300, records.Count);
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), records.Select(r => r.Line));
    }

    [Fact]
    public void ReadingIsLazy()
    {
        var path = _dir.Write("a.jsonl", "{\"x\": 1}\n{\"x\": 2}\n");
        using var records = JsonRecordReader.Read(path).GetEnumerator();

        Assert.True(records.MoveNext());
        Assert.Equal(1, records.Current.Line);
    }

    [Fact]
    public void NonArrayJsonIsReadAsLinesAndEachLineMustBeAnObject()
    {
        var path = _dir.Write("a.json", "  \"just a string\"\n42\n");

        var records = JsonRecordReader.Read(path).Select(r => (r.Line, r.Element.ValueKind)).ToList();

        Assert.Equal([(1L, System.Text.Json.JsonValueKind.String), (2L, System.Text.Json.JsonValueKind.Number)], records);
    }

    [Fact]
    public void TrailingContentAfterTheArrayIsAnError()
    {
        var path = _dir.Write("a.json", "[{\"x\": 1}]\n]");

        var ex = Assert.Throws<DatasetException>(() => ReadAll(path, 64));

        Assert.Contains($"{path}:2:", ex.Message);
    }

    [Fact]
    public void EmptyFileAndUnsupportedExtensionAreClearErrors()
    {
        var empty = _dir.Write("e.json", "");
        var csv = _dir.Write("d.csv", "a,b\n");

        Assert.Contains("the file is empty", Assert.Throws<DatasetException>(() => ReadAll(empty, 64)).Message);
        var ex = Assert.Throws<DatasetException>(() => ReadAll(csv, 64));
        Assert.Contains("unsupported file type '.csv'; accepted: .json, .jsonl", ex.Message);
    }

    [Fact]
    public void LargeJsonLinesFileStreamsWithABoundedBuffer()
    {
        // 20k records (~1.5 MB) through a 4 KiB window: memory stays bounded by the longest record.
        var text = new StringBuilder();
        for (var i = 0; i < 20_000; i++)
            text.Append("{\"instruction\": \"q").Append(i).Append("\", \"output\": \"").Append('a', 50).Append("\"}\n");
        var path = _dir.Write("big.jsonl", text.ToString());

        var count = 0L;
        long lastLine = 0;
        foreach (var record in JsonRecordReader.Read(path, 4096))
        {
            Assert.False(record.IsBad);
            count++;
            lastLine = record.Line;
        }

        Assert.Equal(20_000, count);
        Assert.Equal(20_000, lastLine);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(1 << 16)]
    public void BrokenArrayElementDeepInTheFileReportsItsLineWhateverTheBuffer(int bufferSize)
    {
        var lines = Enumerable.Range(0, 200).Select(i => $"  {{\"instruction\": \"q{i}\", \"output\": \"a\"}},").ToList();
        lines[150] = "  {\"instruction\": \"q\" \"output\": \"a\"},"; // missing comma on file line 152
        var path = _dir.Write("broken.json", "[\n" + string.Join("\n", lines).TrimEnd(',') + "\n]");

        var read = 0;
        var ex = Assert.Throws<DatasetException>(() =>
        {
            foreach (var _ in JsonRecordReader.Read(path, bufferSize))
                read++;
        });

        Assert.Equal(150, read);
        Assert.Contains($"{path}:152: malformed JSON", ex.Message);
    }
}
