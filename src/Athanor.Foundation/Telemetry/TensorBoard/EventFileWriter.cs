using System.Net;

namespace Athanor.Telemetry.TensorBoard;

/// <summary>
/// One new TensorBoard event file in a folder, named as TensorFlow and torch name theirs:
/// <c>events.out.tfevents.UNIX_SECONDS.HOSTNAME</c> (".1", ".2", ... appended if that name is taken, so an
/// earlier file is never overwritten). TensorBoard reads every event file of a folder as one run, in name order.
/// </summary>
public sealed class EventFileWriter : IDisposable
{
    public const string FilePrefix = "events.out.tfevents.";
    private readonly TfRecordWriter _records;

    /// <summary>Creates the folder if needed and the file, and writes its file_version record.</summary>
    public EventFileWriter(string logDir)
    {
        Directory.CreateDirectory(logDir);
        var stem = System.IO.Path.Combine(logDir, $"{FilePrefix}{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}.{Dns.GetHostName()}");
        (var stream, Path) = CreateNew(stem);
        _records = new TfRecordWriter(stream);
        _records.Write(EventEncoder.FileVersionEvent(WallTime()));
    }

    public string Path { get; }

    /// <summary>Marks a (re)start at <paramref name="step"/>: TensorBoard drops earlier files' points at this step and later.</summary>
    public void StartSession(long step) => _records.Write(EventEncoder.SessionStartEvent(WallTime(), step));

    /// <summary>Writes the scalars of one step as one event.</summary>
    public void AddScalars(long step, IReadOnlyList<(string Tag, float Value)> scalars) =>
        _records.Write(EventEncoder.ScalarsEvent(WallTime(), step, scalars));

    public void Dispose() => _records.Dispose();

    // A second run in the same second on the same host must not take over the first one's file.
    private static (FileStream Stream, string Path) CreateNew(string stem)
    {
        for (int attempt = 0; ; attempt++)
        {
            var path = attempt == 0 ? stem : $"{stem}.{attempt}";
            try
            {
                return (new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read), path);
            }
            catch (IOException) when (File.Exists(path) && attempt < 1000) { }
        }
    }

    private static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
