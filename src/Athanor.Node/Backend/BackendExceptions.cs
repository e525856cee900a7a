using Athanor.Configuration;

namespace Athanor.Node.Backend;

/// <summary>No job with this id (gRPC NOT_FOUND).</summary>
public sealed class JobNotFoundException(string jobId)
    : Exception($"no job {InputText.Quote(jobId)} on this server; `cluster list` shows the jobs it knows")
{
    public string JobId { get; } = jobId;
}

/// <summary>The job's state does not allow the request (gRPC FAILED_PRECONDITION).</summary>
public sealed class JobStateConflictException(string message) : Exception(message);

/// <summary>A watch asked for events the backend no longer keeps (gRPC OUT_OF_RANGE).</summary>
public sealed class EventsExpiredException(string jobId, long requested, long firstKept)
    : Exception($"job {InputText.Quote(jobId)}: events before sequence {firstKept} are no longer kept (asked for {requested}); watch from {firstKept} or later")
{
    public long FirstKept { get; } = firstKept;
}

/// <summary>A page token this backend did not issue (gRPC INVALID_ARGUMENT on page_token).</summary>
public sealed class InvalidPageTokenException(string token)
    : Exception($"{InputText.Quote(token)} is not a page token from this server; pass next_page_token from the previous ListJobs answer, or nothing");
