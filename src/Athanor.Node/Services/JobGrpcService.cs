using System.Text.RegularExpressions;
using Athanor.Configuration;
using Athanor.Node.Backend;
using Athanor.Protocol.V1;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using JobEvent = Athanor.Protocol.V1.JobEvent;
using JobState = Athanor.Node.Backend.JobState;

namespace Athanor.Node.Services;

/// <summary>athanor.v1.JobService over an <see cref="IJobBackend"/>. Every call passes the call's cancellation (deadline, client gone) on.</summary>
public sealed partial class JobGrpcService(IJobBackend backend, SubmissionValidator validator, IHostApplicationLifetime lifetime) : JobService.JobServiceBase
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 1000;

    public override async Task<Job> SubmitJob(SubmitJobRequest request, ServerCallContext context)
    {
        var submission = validator.Validate(request, context.CancellationToken);
        return (await backend.SubmitAsync(submission, context.CancellationToken).ConfigureAwait(false)).ToProto();
    }

    public override async Task<Job> GetJob(GetJobRequest request, ServerCallContext context) =>
        (await backend.GetAsync(JobId(request.JobId), context.CancellationToken).ConfigureAwait(false)).ToProto();

    public override async Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        if (request.PageSize is < 0 or > MaxPageSize)
            throw new RequestValidationException("page_size", $"{request.PageSize} is out of range; accepted: 0 (default {DefaultPageSize}) to {MaxPageSize}");
        var states = new HashSet<JobState>();
        for (int i = 0; i < request.States.Count; i++)
            states.Add(ProtoMapping.FromProto(request.States[i])
                ?? throw new RequestValidationException($"states[{i}]", $"{request.States[i]} is not a job state; accepted: PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED"));
        var page = new PageRequest(request.PageSize == 0 ? DefaultPageSize : request.PageSize,
            string.IsNullOrEmpty(request.PageToken) ? null : request.PageToken);
        var result = await backend.ListAsync(new JobFilter(states), page, context.CancellationToken).ConfigureAwait(false);
        var response = new ListJobsResponse { NextPageToken = result.NextPageToken ?? "" };
        response.Jobs.AddRange(result.Jobs.Select(j => j.ToProto()));
        return response;
    }

    public override async Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context) =>
        (await backend.CancelAsync(JobId(request.JobId), context.CancellationToken).ConfigureAwait(false)).ToProto();

    public override async Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobEvent> responseStream, ServerCallContext context)
    {
        if (request.FromSequence < 0)
            throw new RequestValidationException("from_sequence", $"{request.FromSequence} is negative; accepted: 0 (from the start) or a sequence number");
        // A following stream also ends when the server stops, so shutdown never waits on open watches.
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        await foreach (var e in backend.WatchAsync(JobId(request.JobId), request.FromSequence, request.Follow, cancel.Token).ConfigureAwait(false))
            await responseStream.WriteAsync(e.ToProto(), cancel.Token).ConfigureAwait(false);
    }

    /// <summary>Longer than any id a backend issues (local: job- and 10 characters; cluster: a time stamp and 6 hex digits).</summary>
    public const int MaxJobIdLength = 64;

    // Checked before any backend sees the id, so a huge or strange one costs nothing and is never echoed whole.
    private static string JobId(string id)
    {
        if (string.IsNullOrWhiteSpace(id))
            throw new RequestValidationException("job_id", "empty; give the id SubmitJob or ListJobs returned");
        var trimmed = id.Trim();
        if (trimmed.Length > MaxJobIdLength || !JobIdPattern().IsMatch(trimmed))
            throw new RequestValidationException("job_id",
                $"{InputText.Quote(trimmed)} is not a job id; ids are at most {MaxJobIdLength} letters, digits, '-', '_' or '.', as SubmitJob or ListJobs returned them");
        return trimmed;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex JobIdPattern();
}
