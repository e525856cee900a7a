using System.Globalization;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Athanor.Cluster.Hosting;
using Athanor.Cluster.Messages;
using Athanor.Configuration;
using Athanor.Node.Backend;

namespace Athanor.Cluster.Backend;

/// <summary>
/// The gRPC services' view of the cluster: jobs go to their sharded entities (so any node can answer for
/// any job), placement is the coordinator's, and the list of jobs comes from the journal itself.
/// </summary>
public sealed class ClusterJobBackend(ClusterNode node) : IJobBackend
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(20);
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private int _activeWatches;

    public string Name => "cluster";

    /// <summary>WatchAsync streams open now: shows that a cancelled or timed-out watch was let go.</summary>
    public int ActiveWatches => Volatile.Read(ref _activeWatches);

    public async Task<JobRecord> SubmitAsync(JobSubmission submission, CancellationToken cancel)
    {
        var id = NewJobId();
        var config = submission.Config;
        await OutputDirClaim.CheckAsync(config.OutputDir, id, config.OverwriteOutputDir, resumes: config.ResumeFromCheckpoint is not null, async owner =>
        {
            var job = await Find(owner, cancel);
            return job is { State: JobState.Pending or JobState.Running };
        });
        // resume_from_checkpoint: auto asks for the newest checkpoint in output_dir now, whoever wrote it (an interrupted
        // `cluster train` continued): pinned to that folder, so the job's own attempts later resume their own checkpoints.
        if (config.ResumeFromCheckpoint == "auto")
            config = config with { ResumeFromCheckpoint = new Athanor.Checkpoints.CheckpointStore(config.OutputDir).Resolve("auto") };
        // The validated config travels as YAML with every path already resolved on this node.
        var yaml = JobConfigWriter.ToYaml(config);
        var reply = await node.Jobs.Ask<object>(new SubmitJob(id, submission.Name, yaml, [], $"job {id}", global::Athanor.Telemetry.TraceParent.OfRequest(System.Diagnostics.Activity.Current)), AskTimeout, cancel);
        return reply switch
        {
            JobRecord job => Claimed(job, config.OutputDir, submission.Notes),
            // The coordinator's own check of the config (a client mistake): INVALID_ARGUMENT, not INTERNAL.
            SubmitRejected rejected => throw new Athanor.Node.Services.RequestValidationException("config", rejected.Reason),
            _ => throw new InvalidOperationException($"unexpected reply {reply.GetType().Name}"),
        };
    }

    private JobRecord Claimed(JobRecord job, string outputDir, IReadOnlyList<string> notes)
    {
        OutputDirClaim.Claim(outputDir, job.Id);
        // What validation noted (e.g. how a relative path resolved) goes into the job's log: job-level lines (attempt 0).
        foreach (var note in notes) node.Jobs.Tell(new ReportLog(job.Id, 0, note));
        return job;
    }

    public Task<JobRecord> GetAsync(string jobId, CancellationToken cancel) => View(jobId, cancel);

    public async Task<JobPage> ListAsync(JobFilter filter, PageRequest page, CancellationToken cancel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page.PageSize, 1);
        var ids = await JobIds(cancel);
        var views = new List<JobRecord>();
        foreach (var id in ids)
        {
            if (await Find(id, cancel) is { } job) views.Add(job);
        }
        var ordered = views.Where(v => filter.Matches(v.State)).OrderByDescending(v => v.CreatedAt).ThenByDescending(v => v.Id, StringComparer.Ordinal).ToList();
        int start = 0;
        if (page.PageToken is string token)
            if (!token.StartsWith("o:", StringComparison.Ordinal) || !int.TryParse(token[2..], NumberStyles.None, CultureInfo.InvariantCulture, out start) || start > ordered.Count)
                throw new InvalidPageTokenException(token);
        var slice = ordered.Skip(start).Take(page.PageSize).ToList();
        string? next = start + slice.Count < ordered.Count ? $"o:{start + slice.Count}" : null;
        return new JobPage(slice, next);
    }

    public async Task<JobRecord> CancelAsync(string jobId, CancellationToken cancel)
    {
        var view = await View(jobId, cancel);
        if (view.State is JobState.Succeeded or JobState.Failed)
            throw new JobStateConflictException($"job '{jobId}' already {view.State.ToString().ToLowerInvariant()}; only pending or running jobs can be cancelled");
        return await node.Jobs.Ask<object>(new CancelJob(jobId), AskTimeout, cancel) as JobRecord ?? throw new JobNotFoundException(jobId);
    }

    public async IAsyncEnumerable<JobEvent> WatchAsync(string jobId, long fromSequence, bool follow, [EnumeratorCancellation] CancellationToken cancel)
    {
        await View(jobId, cancel); // NotFound before anything is streamed
        long next = Math.Max(1, fromSequence);
        Interlocked.Increment(ref _activeWatches);
        try
        {
            while (true)
            {
                var page = await node.Jobs.Ask<JobEventsPage>(new GetJobEvents(jobId, next), AskTimeout, cancel);
                foreach (var e in page.Events)
                {
                    yield return ToEvent(jobId, e);
                    next = e.Sequence + 1;
                }
                if (!follow || (page.Final && page.Events.Length == 0)) yield break;
                if (page.Final) continue; // drain what is left, then end
                await Task.Delay(250, cancel);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _activeWatches);
        }
    }

    public async Task<IReadOnlyList<NodeInfo>> ListNodesAsync(CancellationToken cancel)
    {
        var cluster = Akka.Cluster.Cluster.Get(node.System);
        var state = await node.Coordinator.Ask<ClusterState>(new GetClusterState(), AskTimeout, cancel);
        var unreachable = cluster.State.Unreachable.Select(m => m.Address.ToString()).ToHashSet();
        return cluster.State.Members.OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).Select(m =>
        {
            var address = m.Address.ToString();
            var workers = state.Nodes.FirstOrDefault(n => n.NodeAddress == address);
            var devices = workers?.Devices.Select((d, i) => new DeviceInfo(workers.DeviceKind, i, d, 0)).ToList() ?? [];
            var health = unreachable.Contains(address) ? NodeHealthState.Unreachable
                : m.Status == Akka.Cluster.MemberStatus.Up ? NodeHealthState.Healthy : NodeHealthState.Degraded;
            // The coordinator's placements say which job's rank holds each of this node's slots (the console's cluster page).
            var uses = state.Running.SelectMany(a => a.Placement.Where(p => p.NodeAddress == address)
                    .Select(p => new SlotUse(p.Slot, a.JobId, a.Attempt, p.Rank, a.World)))
                .OrderBy(u => u.Slot).ToList();
            return new NodeInfo(address, address, m.Roles.Order(StringComparer.Ordinal).ToList(), devices, health, _startedAt, workers?.BusySlots ?? 0, uses);
        }).ToList();
    }

    public async Task<ClusterSummary> GetClusterStatusAsync(CancellationToken cancel)
    {
        var nodes = await ListNodesAsync(cancel);
        var jobs = await ListAsync(JobFilter.All, new PageRequest(int.MaxValue, null), cancel);
        var counts = Enum.GetValues<JobState>().ToDictionary(s => s, s => jobs.Jobs.Count(j => j.State == s));
        var cluster = Akka.Cluster.Cluster.Get(node.System);
        var oldest = cluster.State.Members.Where(m => m.HasRole("coordinator") && m.Status == Akka.Cluster.MemberStatus.Up)
            .OrderBy(m => m, Akka.Cluster.Member.AgeOrdering).FirstOrDefault();
        return new ClusterSummary(nodes.Count, nodes.Count(n => n.Health == NodeHealthState.Healthy), counts,
            oldest?.Address.ToString() ?? "(none)", Athanor.Node.Hosting.NodeVersion.Text, _startedAt, Name);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<JobRecord> View(string jobId, CancellationToken cancel) => await Find(jobId, cancel) ?? throw new JobNotFoundException(jobId);

    /// <summary>The job's record, or null when no job has that id (its entity answers JobUnknown).</summary>
    private async Task<JobRecord?> Find(string jobId, CancellationToken cancel) =>
        await node.Jobs.Ask<object>(new GetJob(jobId), AskTimeout, cancel) as JobRecord;

    private async Task<List<string>> JobIds(CancellationToken cancel)
    {
        var journal = PersistenceQuery.Get(node.System).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var ids = await journal.CurrentPersistenceIds().Where(p => p.StartsWith("job-", StringComparison.Ordinal))
            .Select(p => p[4..]).RunWith(Sink.Seq<string>(), node.System.Materializer());
        return ids.ToList();
    }

    private static string NewJobId() =>
        DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..3]);

    private static JobEvent ToEvent(string jobId, JobEventRecord e)
    {
        var time = new DateTimeOffset(DateTime.SpecifyKind(e.TimeUtc, DateTimeKind.Utc));
        return e.Kind switch
        {
            "state" => new JobStateChanged(jobId, e.Sequence, time, e.Phase ?? JobState.Pending, e.Phase == JobState.Failed ? e.Text : null),
            "step" => new JobStepReported(jobId, e.Sequence, time, e.Step, e.MaxSteps, new JobMetrics(e.Loss, e.LearningRate, e.GradNorm, e.TokensPerSecond, Epoch: e.Epoch)),
            "eval" => new JobEvalReported(jobId, e.Sequence, time, e.Step, e.EvalLoss ?? double.NaN, e.IsBest),
            "checkpoint" => new JobCheckpointSaved(jobId, e.Sequence, time, e.Step, e.Folder ?? ""),
            _ => new JobLogLine(jobId, e.Sequence, time, e.Text ?? ""),
        };
    }
}
