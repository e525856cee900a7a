using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using Athanor.Jobs;
using Athanor.Node.Backend;
using Athanor.Training;

namespace Athanor.Node.Local;

/// <summary>
/// Runs jobs in this process, one at a time in submission order, on a dedicated thread through the
/// training core (JobPreparation + Trainer). Jobs and their events live in memory: a restart forgets
/// them (their output folders and checkpoints stay, so `resume_from_checkpoint: auto` continues them).
/// </summary>
public sealed class LocalJobBackend : IJobBackend
{
    /// <summary>Events kept per job; older ones are dropped a tenth at a time (watching them is OUT_OF_RANGE).</summary>
    public const int DefaultMaxEventsPerJob = 100_000;

    private readonly object _gate = new();
    private readonly List<LocalJob> _jobs = [];
    private readonly Dictionary<string, LocalJob> _byId = new(StringComparer.Ordinal);
    private readonly BlockingCollection<LocalJob> _queue = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Thread _worker;
    private readonly int _maxEventsPerJob;
    private readonly TimeProvider _clock;
    private readonly DateTimeOffset _startedAt;
    private int _activeWatches;

    public LocalJobBackend(int maxEventsPerJob = DefaultMaxEventsPerJob, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEventsPerJob, 10);
        _maxEventsPerJob = maxEventsPerJob;
        _clock = clock ?? TimeProvider.System;
        _startedAt = _clock.GetUtcNow();
        _worker = new Thread(WorkerLoop) { Name = "athanor-local-jobs", IsBackground = true };
        _worker.Start();
    }

    public string Name => "local";

    /// <summary>The address clients reach this node at (set by the host once it listens), for ListNodes.</summary>
    public string Address { get; set; } = "";

    /// <summary>WatchAsync streams open now: shows that a cancelled or timed-out watch was let go.</summary>
    public int ActiveWatches => Volatile.Read(ref _activeWatches);

    public Task<JobRecord> SubmitAsync(JobSubmission submission, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        var now = _clock.GetUtcNow();
        LocalJob job;
        lock (_gate)
        {
            var record = new JobRecord(NewId(), submission.Name, JobState.Pending, Step: 0,
                MaxSteps: Math.Max(0, submission.Config.MaxSteps), submission.Config.WorldSize, Attempts: 0,
                LastCheckpointStep: null, JobMetrics.None, now, now, Error: null, submission.Config.OutputDir, LastSequence: 0);
            job = new LocalJob(_jobs.Count, record, submission, _maxEventsPerJob, _clock);
            _jobs.Add(job);
            _byId.Add(record.Id, job);
        }
        job.ChangeState(JobState.Pending);
        var pending = job.Record; // before the worker can take it: the answer says Pending, as documented
        _queue.Add(job, CancellationToken.None);
        return Task.FromResult(pending);
    }

    public Task<JobRecord> GetAsync(string jobId, CancellationToken cancel) => Task.FromResult(Find(jobId).Record);

    public Task<JobPage> ListAsync(JobFilter filter, PageRequest page, CancellationToken cancel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page.PageSize, 1);
        var found = new List<JobRecord>(Math.Min(page.PageSize, 256));
        string? next = null;
        lock (_gate)
        {
            int start = page.PageToken is null ? _jobs.Count - 1 : PageToken.Parse(page.PageToken, _jobs.Count);
            for (int i = start; i >= 0; i--)
            {
                cancel.ThrowIfCancellationRequested();
                var record = _jobs[i].Record;
                if (!filter.Matches(record.State)) continue;
                if (found.Count == page.PageSize)
                {
                    next = PageToken.Format(i);
                    break;
                }
                found.Add(record);
            }
        }
        return Task.FromResult(new JobPage(found, next));
    }

    public Task<JobRecord> CancelAsync(string jobId, CancellationToken cancel) => Task.FromResult(Find(jobId).RequestCancel());

    public async IAsyncEnumerable<JobEvent> WatchAsync(string jobId, long fromSequence, bool follow,
        [EnumeratorCancellation] CancellationToken cancel)
    {
        var job = Find(jobId);
        long next = Math.Max(1, fromSequence);
        Interlocked.Increment(ref _activeWatches);
        try
        {
            while (true)
            {
                var (events, changed, record) = job.Read(next);
                foreach (var e in events)
                {
                    yield return e;
                    next = e.Sequence + 1;
                }
                // The final state change is a job's last event: once it is sent there is nothing more to wait for.
                if (!follow || (record.State.IsFinal() && next > record.LastSequence)) yield break;
                await changed.WaitAsync(cancel).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _activeWatches);
        }
    }

    public Task<IReadOnlyList<NodeInfo>> ListNodesAsync(CancellationToken cancel)
    {
        int running = CountByState().GetValueOrDefault(JobState.Running);
        var cpu = new DeviceInfo("cpu", 0, $"{Environment.ProcessorCount} cores", GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        IReadOnlyList<NodeInfo> nodes =
            [new NodeInfo(Environment.MachineName, Address, ["coordinator", "worker", "gateway"], [cpu], NodeHealthState.Healthy, _startedAt, running)];
        return Task.FromResult(nodes);
    }

    public Task<ClusterSummary> GetClusterStatusAsync(CancellationToken cancel) =>
        Task.FromResult(new ClusterSummary(1, 1, CountByState(), Environment.MachineName, Version, _startedAt, Name));

    /// <summary>Stops taking jobs, cancels the running one (it saves a checkpoint) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_shutdown.IsCancellationRequested) return;
        _queue.CompleteAdding();
        await _shutdown.CancelAsync().ConfigureAwait(false);
        await Task.Run(() => _worker.Join()).ConfigureAwait(false);
        _queue.Dispose();
        _shutdown.Dispose();
    }

    public static string Version { get; } =
        typeof(LocalJobBackend).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    private Dictionary<JobState, int> CountByState()
    {
        var counts = Enum.GetValues<JobState>().ToDictionary(s => s, _ => 0);
        lock (_gate)
            foreach (var job in _jobs) counts[job.Record.State]++;
        return counts;
    }

    private LocalJob Find(string jobId)
    {
        lock (_gate)
            return _byId.TryGetValue(jobId, out var job) ? job : throw new JobNotFoundException(jobId);
    }

    private static string NewId()
    {
        const string alphabet = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford's base 32: no i, l, o, u
        Span<char> id = stackalloc char[10];
        for (int i = 0; i < id.Length; i++) id[i] = alphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(alphabet.Length)];
        return "job-" + new string(id);
    }

    private void WorkerLoop()
    {
        try
        {
            foreach (var job in _queue.GetConsumingEnumerable(_shutdown.Token)) Run(job);
        }
        catch (OperationCanceledException) { }
    }

    private void Run(LocalJob job)
    {
        if (!job.TryStart()) return; // cancelled while queued
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(job.Cancellation.Token, _shutdown.Token);
        var config = job.Submission.Config;
        try
        {
            foreach (var note in job.Submission.Notes) job.Log(note);
            using var prepared = JobPreparation.Prepare(config, job.Log);
            job.Publish(r => r with { MaxSteps = prepared.TotalSteps });
            job.Log($"{prepared.Data.Train.Count} training samples, {prepared.Data.Validation.Count} validation; global batch {prepared.Settings.GlobalBatch}; " +
                    $"{prepared.TrainableParameters:N0} trainable parameters; output {config.OutputDir}");
            JobOutputs.WriteEffectiveConfig(config);
            var recorder = new JobEventRecorder(job, config.LoggingSteps, config.LoggingFirstStep);
            var result = new Trainer(prepared.Model, prepared.Lora, prepared.Data, prepared.Settings, recorder) { Deferred = prepared.Deferred }.Run(cancel.Token);
            if (result.Cancelled)
            {
                job.Log($"stopped at step {result.Steps}" + (result.LastCheckpoint is null ? "" : $"; saved {result.LastCheckpoint}") +
                        (_shutdown.IsCancellationRequested ? " (the server is shutting down)" : ""));
                job.ChangeState(JobState.Cancelled);
                return;
            }
            JobOutputs.WriteFinal(config, prepared.Model, prepared.Lora, result.LastCheckpoint);
            if (config.PlotLoss && JobOutputs.WriteLossPlot(config.OutputDir, $"training loss: {Path.GetFileName(config.OutputDir)}") is string plot)
                job.Log($"loss plot: {plot}");
            job.Log($"done: {result.Steps} steps in {result.Elapsed:h\\:mm\\:ss}; loss {result.FirstLoss:F4} -> {result.LastLoss:F4}" +
                    (result.BestEvalLoss is double best ? $"; best eval loss {best:F4}" : "") +
                    (result.StoppedEarly ? " (stopped early)" : "") + $"; model in {config.OutputDir}");
            job.ChangeState(JobState.Succeeded);
        }
        catch (Exception ex)
        {
            job.ChangeState(JobState.Failed, FailureText(ex));
        }
    }

    // Athanor's own errors already name the key or file and what would work; others get their type for context.
    private static string FailureText(Exception ex)
    {
        bool own = ex.GetType().Namespace?.StartsWith("Athanor", StringComparison.Ordinal) == true
                   || ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException;
        var text = own ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
        return text.ReplaceLineEndings(" ");
    }
}
