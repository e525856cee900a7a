namespace Athanor.Node.Backend;

/// <summary>
/// Where jobs run: the seam between the gRPC services and the runtime. The services validate requests
/// (keys, values, paths) and hand over a ready <see cref="JobSubmission"/>; a backend queues, runs and
/// reports jobs. Its one implementation is the cluster's (Athanor.Cluster's ClusterJobBackend: job entities, a
/// coordinator and rank runners), behind `cluster node` and, as a cluster of one member, `cluster serve`.
/// </summary>
/// <remarks>
/// Contract, for every implementation:
/// - job ids are unique strings chosen by the backend; unknown ids throw <see cref="JobNotFoundException"/>;
/// - each job's events carry sequence numbers 1, 2, 3, ... with no gaps; the event that puts a job in a
///   final state is its last; <see cref="WatchAsync"/> from sequence s yields exactly the events numbered
///   s and above, so a reconnecting client sees nothing twice and misses nothing (or gets
///   <see cref="EventsExpiredException"/> when those events are no longer kept);
/// - <see cref="JobRecord.LastSequence"/> is the newest event's sequence at the time of the record;
/// - every method honours its cancellation token (the gRPC call's deadline and cancellation).
/// </remarks>
public interface IJobBackend : IAsyncDisposable
{
    /// <summary>A short name for status output, e.g. "local".</summary>
    string Name { get; }

    /// <summary>Queues a validated job; returns it in state Pending.</summary>
    Task<JobRecord> SubmitAsync(JobSubmission submission, CancellationToken cancel);

    /// <summary>The job as it is now; throws <see cref="JobNotFoundException"/>.</summary>
    Task<JobRecord> GetAsync(string jobId, CancellationToken cancel);

    /// <summary>Jobs newest first, filtered and paged; throws <see cref="InvalidPageTokenException"/> for a token it did not issue.</summary>
    Task<JobPage> ListAsync(JobFilter filter, PageRequest page, CancellationToken cancel);

    /// <summary>
    /// Asks a job to stop (pending: at once; running: at the next micro-batch, dropping a partial step, with a checkpoint of the last completed step). Returns the
    /// job as it is after the request; throws <see cref="JobStateConflictException"/> for a succeeded or failed job.
    /// </summary>
    Task<JobRecord> CancelAsync(string jobId, CancellationToken cancel);

    /// <summary>
    /// The job's events from <paramref name="fromSequence"/> on (1 = the first). With <paramref name="follow"/>
    /// the sequence waits for new events and ends after the final state change; without, it ends when
    /// the events kept so far are yielded.
    /// </summary>
    IAsyncEnumerable<JobEvent> WatchAsync(string jobId, long fromSequence, bool follow, CancellationToken cancel);

    /// <summary>The members that run jobs, with roles, devices and health.</summary>
    Task<IReadOnlyList<NodeInfo>> ListNodesAsync(CancellationToken cancel);

    /// <summary>Node and job counts.</summary>
    Task<ClusterSummary> GetClusterStatusAsync(CancellationToken cancel);
}
