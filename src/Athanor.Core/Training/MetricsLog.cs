using System.Text.Json.Nodes;
using Athanor.IO;
using Athanor.Telemetry.TensorBoard;

namespace Athanor.Training;

/// <summary>
/// OUTPUT_DIR/metrics.jsonl: one JSON object per logged step or evaluation, appended and flushed as it happens;
/// with a TensorBoard folder (report_to: tensorboard), each row is also written there as scalars.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    public const string FileName = "metrics.jsonl";
    private readonly StreamWriter _writer;
    private readonly TensorBoardMetrics? _tensorBoard;

    /// <summary>Opens the log, first rewriting it to exactly the given history (so a resumed run has no rows from after its checkpoint).</summary>
    /// <param name="outputDir">The run folder.</param>
    /// <param name="history">The rows the run continues from.</param>
    /// <param name="tensorBoardDir">Where to add a TensorBoard event file of the rows appended from now on; null for none.</param>
    public MetricsLog(string outputDir, IEnumerable<JsonObject> history, string? tensorBoardDir = null)
    {
        Path = System.IO.Path.Combine(outputDir, FileName);
        var rows = history as IReadOnlyCollection<JsonObject> ?? history.ToList();
        DurableFile.WriteAllText(Path, string.Concat(rows.Select(r => r.ToJsonString() + "\n")));
        _writer = new StreamWriter(new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        try
        {
            _tensorBoard = tensorBoardDir is null ? null : new TensorBoardMetrics(tensorBoardDir, rows);
        }
        catch
        {
            _writer.Dispose();
            throw;
        }
    }

    public string Path { get; }

    /// <summary>The TensorBoard event file this run writes; null without one.</summary>
    public string? TensorBoardFile => _tensorBoard?.Path;

    public void Append(JsonObject row)
    {
        _writer.WriteLine(row.ToJsonString());
        _tensorBoard?.Append(row);
    }

    public void Dispose()
    {
        _writer.Dispose();
        _tensorBoard?.Dispose();
    }
}
