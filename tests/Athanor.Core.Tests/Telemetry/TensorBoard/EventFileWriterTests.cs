using System.Net;
using System.Text.RegularExpressions;
using Athanor.Telemetry.TensorBoard;

namespace Athanor.Tests.Telemetry.TensorBoard;

public class EventFileWriterTests
{
    [Fact]
    public void ScalarsReadBackExactlyAsWritten()
    {
        using var temp = new TestPaths.TempFolder();
        var dir = temp.Sub("runs");
        (string, float)[] first = [("train/loss", 2.345678f), ("train/learning_rate", 1e-4f), ("train/grad_norm", 0.5f)];
        (string, float)[] later = [("eval/loss", float.MaxValue), ("train/tâche ü", -0.0f)];
        string path;
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        using (var writer = new EventFileWriter(dir))
        {
            path = writer.Path;
            writer.StartSession(1);
            writer.AddScalars(1, first);
            writer.AddScalars(300, later); // a two-byte varint
            writer.AddScalars(1L << 40, [("big/step", 7f)]);
        }
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        var events = TfEventReader.ReadFile(path);
        Assert.Equal(5, events.Count);
        Assert.Equal(EventEncoder.FileVersion, events[0].FileVersion);
        Assert.Empty(events[0].Scalars);
        Assert.Equal((1, (int?)1), (events[1].Step, events[1].SessionStatus));
        Assert.Equal(first, events[2].Scalars);
        Assert.Equal(1, events[2].Step);
        Assert.Equal(later, events[3].Scalars);
        Assert.True(float.IsNegative(events[3].Scalars[1].Value));
        Assert.Equal(300, events[3].Step);
        Assert.Equal(1L << 40, events[4].Step);
        Assert.All(events, e => Assert.InRange(e.WallTime, before - 0.001, after + 0.001));
    }

    [Fact]
    public void FileIsNamedAsTensorFlowNamesItAndARecordIsReadableBeforeTheWriterCloses()
    {
        using var temp = new TestPaths.TempFolder();
        using var writer = new EventFileWriter(temp.Path);
        writer.AddScalars(3, [("train/loss", 1.5f)]);

        var name = Path.GetFileName(writer.Path);
        var match = Regex.Match(name, @"^events\.out\.tfevents\.(\d{10})\.(.+)$");
        Assert.True(match.Success, name);
        Assert.Equal(Dns.GetHostName(), match.Groups[2].Value);
        Assert.InRange(long.Parse(match.Groups[1].Value), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        // Flushed per record: a crash now would keep it.
        Assert.Equal([("train/loss", 1.5f)], TfEventReader.ReadFile(writer.Path)[^1].Scalars);
    }

    [Fact]
    public void ASecondWriterInTheSameSecondGetsItsOwnFile()
    {
        using var temp = new TestPaths.TempFolder();
        using var a = new EventFileWriter(temp.Path);
        using var b = new EventFileWriter(temp.Path);
        using var c = new EventFileWriter(temp.Path);
        a.AddScalars(1, [("x", 1f)]);

        Assert.Equal(3, new[] { a.Path, b.Path, c.Path }.Distinct().Count());
        Assert.Single(TfEventReader.ReadFile(a.Path), e => e.Scalars.Count == 1); // b and c did not truncate it
    }

    [Fact]
    public void ACorruptedByteFailsTheReadersCrcCheck()
    {
        using var temp = new TestPaths.TempFolder();
        string path;
        using (var writer = new EventFileWriter(temp.Path))
        {
            path = writer.Path;
            writer.AddScalars(1, [("train/loss", 1f)]);
        }
        var bytes = File.ReadAllBytes(path);
        bytes[^6] ^= 1; // inside the last record's float
        Assert.Throws<InvalidDataException>(() => TfEventReader.Records(bytes));
    }
}
