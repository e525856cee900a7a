using System.Text.Json.Nodes;
using Athanor.IO;

namespace Athanor.Training;

/// <summary>OUTPUT_DIR/metrics.jsonl: one JSON object per logged step or evaluation, appended and flushed as it happens.</summary>
public sealed class MetricsLog : IDisposable
{
    public const string FileName = "metrics.jsonl";
    private readonly StreamWriter _writer;

    /// <summary>Opens the log, first rewriting it to exactly the given history (so a resumed run has no rows from after its checkpoint).</summary>
    public MetricsLog(string outputDir, IEnumerable<JsonObject> history)
    {
        Path = System.IO.Path.Combine(outputDir, FileName);
        DurableFile.WriteAllText(Path, string.Concat(history.Select(r => r.ToJsonString() + "\n")));
        _writer = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    public string Path { get; }

    public void Append(JsonObject row) => _writer.WriteLine(row.ToJsonString());

    public void Dispose() => _writer.Dispose();
}
