using System.Diagnostics;
using System.Globalization;

namespace Athanor.Cluster.Workers;

/// <summary>
/// Where one rank is on its way to its first training step, and how long each stage took. The training thread
/// moves it on; the rank's actor asks it on every heartbeat whether the current stage is overdue, so a rank stuck
/// in, say, the NCCL rendezvous says so in the job's log instead of hanging in silence. Warnings come after 30 s
/// in a stage and then each time the wait doubles, so a long model load does not flood the log.
/// </summary>
public sealed class RankBringUp
{
    public static readonly TimeSpan FirstWarning = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private readonly Func<TimeSpan> _clock;
    private readonly List<(string Stage, TimeSpan Took)> _done = [];
    private string? _current;
    private TimeSpan _currentSince;
    private TimeSpan _nextWarning;
    private TimeSpan _finishedAt;

    /// <param name="clock">time since some fixed start (a test passes its own); a stopwatch by default</param>
    public RankBringUp(Func<TimeSpan>? clock = null)
    {
        var watch = Stopwatch.StartNew();
        _clock = clock ?? (() => watch.Elapsed);
    }

    /// <summary>Whether the rank has finished its first step.</summary>
    public bool Finished { get; private set; }

    /// <summary>Ends the current stage (if any) and starts the next.</summary>
    public void Begin(string stage)
    {
        lock (_gate)
        {
            if (Finished) return;
            EndCurrent();
            _current = stage;
            _currentSince = _clock();
            _nextWarning = FirstWarning;
        }
    }

    /// <summary>
    /// Ends the last stage: the rank has finished its first step. Returns true the first time only, so the caller
    /// reports the summary once per attempt.
    /// </summary>
    public bool Complete()
    {
        lock (_gate)
        {
            if (Finished) return false;
            EndCurrent();
            Finished = true;
            _finishedAt = _clock();
            return true;
        }
    }

    /// <summary>
    /// "still forming the NCCL communicator after 31 s" when the current stage has passed its next warning time
    /// (then the one after is twice as far); null otherwise.
    /// </summary>
    public string? Overdue()
    {
        lock (_gate)
        {
            if (Finished || _current is null) return null;
            var waited = _clock() - _currentSince;
            if (waited < _nextWarning) return null;
            while (_nextWarning <= waited) _nextWarning += _nextWarning;
            return string.Create(CultureInfo.InvariantCulture, $"still {_current} after {waited.TotalSeconds:F0} s");
        }
    }

    /// <summary>"first step done 12.3 s after start (preparing data 3.1 s, ...)"; valid once <see cref="Complete"/> returned true.</summary>
    public string Summary()
    {
        lock (_gate)
        {
            var stages = string.Join(", ", _done.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Stage} {d.Took.TotalSeconds:F1} s")));
            return string.Create(CultureInfo.InvariantCulture, $"first step done {_finishedAt.TotalSeconds:F1} s after start ({stages})");
        }
    }

    private void EndCurrent()
    {
        if (_current is null) return;
        _done.Add((_current, _clock() - _currentSince));
        _current = null;
    }
}
