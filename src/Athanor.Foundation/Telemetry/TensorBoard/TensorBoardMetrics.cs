using System.Text.Json.Nodes;

namespace Athanor.Telemetry.TensorBoard;

/// <summary>
/// Mirrors a run's metrics.jsonl rows into a new TensorBoard event file in the job's logging_dir. A resumed
/// run adds its own file and marks where it restarts, so TensorBoard hides the rows that metrics.jsonl also
/// drops (those logged after the checkpoint it resumed from); earlier files are never rewritten.
/// </summary>
public sealed class TensorBoardMetrics : IDisposable
{
    private readonly EventFileWriter _events;

    /// <param name="logDir">The folder of event files (logging_dir; created if needed).</param>
    /// <param name="history">The rows the run continues from (empty for a fresh run).</param>
    public TensorBoardMetrics(string logDir, IEnumerable<JsonObject> history)
    {
        try
        {
            _events = new EventFileWriter(logDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"logging_dir {logDir}: cannot create a TensorBoard event file there: {ex.Message}", ex);
        }
        long lastStep = history.Select(MetricsScalars.StepOf).DefaultIfEmpty(0).Max();
        _events.StartSession(lastStep + 1);
    }

    /// <summary>The event file being written.</summary>
    public string Path => _events.Path;

    public void Append(JsonObject row)
    {
        var (step, scalars) = MetricsScalars.FromRow(row);
        if (scalars.Count > 0)
            _events.AddScalars(step, scalars);
    }

    public void Dispose() => _events.Dispose();
}
