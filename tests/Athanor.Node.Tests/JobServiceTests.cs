using Athanor.Protocol.V1;
using Grpc.Core;

namespace Athanor.Node.Tests;

public class JobServiceTests
{
    [Fact]
    public async Task SubmittedJobRunsToSucceededAndGetJobReportsItsProgress()
    {
        await using var node = await TestNode.StartAsync();
        var submitted = await node.SubmitAsync("first");
        Assert.Matches("^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$", submitted.Id); // the cluster backend's: submission time and 6 random hex digits
        Assert.Equal("first", submitted.Name);
        Assert.Equal(JobState.Pending, submitted.State);
        Assert.Equal(8, submitted.MaxSteps);
        Assert.Equal(Path.Combine(node.OutputRoot, "first"), submitted.OutputDir);

        var events = await node.FollowAsync(submitted.Id);
        Assert.Equal(JobState.Succeeded, events[^1].StateChanged.State);

        var job = await node.Jobs().GetJobAsync(new GetJobRequest { JobId = submitted.Id });
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(8, job.Step);
        Assert.Equal(8, job.MaxSteps);
        Assert.Equal(1, job.WorldSize);
        Assert.Equal(1, job.Attempts);
        Assert.Equal(8, job.LastCheckpointStep);
        Assert.True(job.Metrics.HasLoss && job.Metrics.HasLr && job.Metrics.HasGradNorm && job.Metrics.HasTokensPerS);
        Assert.False(job.Metrics.HasEvalLoss);
        Assert.Equal("", job.Error);
        Assert.True(job.UpdatedAt.ToDateTimeOffset() >= job.CreatedAt.ToDateTimeOffset());
        Assert.Equal(events[^1].Sequence, job.LastSequence);
        Assert.True(File.Exists(Path.Combine(node.OutputRoot, "first", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(node.OutputRoot, "first", "checkpoint-4", "athanor-checkpoint.json")));
    }

    [Fact]
    public async Task WatchJobSendsStateStepsEvalsCheckpointsAndLogsInSequence()
    {
        await using var node = await TestNode.StartAsync();
        var job = await node.SubmitAsync("events", "val_size: 4\neval_strategy: steps\neval_steps: 4");
        var events = await node.FollowAsync(job.Id);

        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal(job.Id, e.JobId));
        var states = events.Where(e => e.KindCase == JobEvent.KindOneofCase.StateChanged).Select(e => e.StateChanged.State);
        Assert.Equal([JobState.Pending, JobState.Running, JobState.Succeeded], states);
        Assert.Equal(JobEvent.KindOneofCase.StateChanged, events[^1].KindCase);
        // The cluster's rank reports every step (LocalJobBackend, until aab915a, reported logging steps only).
        Assert.Equal(Enumerable.Range(1, 8), events.Where(e => e.KindCase == JobEvent.KindOneofCase.Step).Select(e => e.Step.Step));
        Assert.All(events.Where(e => e.KindCase == JobEvent.KindOneofCase.Step), e =>
        {
            Assert.Equal(8, e.Step.MaxSteps);
            Assert.True(e.Step.Metrics.Loss > 0 && e.Step.Metrics.TokensPerS > 0);
        });
        Assert.Equal([4, 8], events.Where(e => e.KindCase == JobEvent.KindOneofCase.Eval).Select(e => e.Eval.Step));
        Assert.Equal([4, 8], events.Where(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint).Select(e => e.Checkpoint.Step));
        Assert.Equal(Path.Combine(node.OutputRoot, "events", "checkpoint-4"),
            events.First(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint).Checkpoint.Path);
        var logs = events.Where(e => e.KindCase == JobEvent.KindOneofCase.Log).Select(e => e.Log.Text).ToList();
        Assert.Contains(logs, l => l.StartsWith("model: llama, 2 layers"));
        Assert.Contains(logs, l => l.StartsWith("attempt 1 ended: Completed"));

        var final = await node.Jobs().GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.True(final.Metrics.HasEvalLoss);
    }

    [Fact]
    public async Task WatchWithoutFollowSendsWhatExistsAndEnds()
    {
        await using var node = await TestNode.StartAsync();
        var job = await node.SubmitAsync();
        var all = await node.FollowAsync(job.Id);
        using var call = node.Jobs().WatchJob(new WatchJobRequest { JobId = job.Id, FromSequence = 5 });
        var tail = await call.ResponseStream.ReadAllAsync().ToListAsync();
        Assert.Equal(all.Skip(4).Select(e => e.Sequence), tail.Select(e => e.Sequence));

        using var past = node.Jobs().WatchJob(new WatchJobRequest { JobId = job.Id, FromSequence = all.Count + 10, Follow = true });
        Assert.Empty(await past.ResponseStream.ReadAllAsync().ToListAsync());
    }

    [Fact]
    public async Task ListJobsFiltersByStateAndPages()
    {
        await using var node = await TestNode.StartAsync();
        var a = await node.SubmitAsync("a");
        await node.FollowAsync(a.Id);
        var b = await node.SubmitAsync("b", "", "max_steps=100000", "save_steps=100000");
        var c = await node.SubmitAsync("c");
        await node.WaitForAsync(b.Id, j => j.State == JobState.Running);

        var jobs = node.Jobs();
        var all = await jobs.ListJobsAsync(new ListJobsRequest());
        Assert.Equal([c.Id, b.Id, a.Id], all.Jobs.Select(j => j.Id));
        Assert.Equal("", all.NextPageToken);

        var pending = await jobs.ListJobsAsync(new ListJobsRequest { States = { JobState.Pending } });
        Assert.Equal([c.Id], pending.Jobs.Select(j => j.Id));
        var finished = await jobs.ListJobsAsync(new ListJobsRequest { States = { JobState.Succeeded, JobState.Running } });
        Assert.Equal([b.Id, a.Id], finished.Jobs.Select(j => j.Id));

        var seen = new List<string>();
        string token = "";
        do
        {
            var page = await jobs.ListJobsAsync(new ListJobsRequest { PageSize = 1, PageToken = token });
            Assert.Single(page.Jobs);
            seen.Add(page.Jobs[0].Id);
            token = page.NextPageToken;
        } while (token != "");
        Assert.Equal([c.Id, b.Id, a.Id], seen);

        var badToken = await Assert.ThrowsAsync<RpcException>(async () => await jobs.ListJobsAsync(new ListJobsRequest { PageToken = "garbage" }));
        Assert.Equal(StatusCode.InvalidArgument, badToken.StatusCode);
        Assert.StartsWith("page_token:", badToken.Status.Detail);
        var badSize = await Assert.ThrowsAsync<RpcException>(async () => await jobs.ListJobsAsync(new ListJobsRequest { PageSize = -1 }));
        Assert.Equal(StatusCode.InvalidArgument, badSize.StatusCode);
        Assert.StartsWith("page_size:", badSize.Status.Detail);
        var badState = await Assert.ThrowsAsync<RpcException>(async () => await jobs.ListJobsAsync(new ListJobsRequest { States = { JobState.Unspecified } }));
        Assert.StartsWith("states[0]:", badState.Status.Detail);

        await jobs.CancelJobAsync(new CancelJobRequest { JobId = b.Id });
        await jobs.CancelJobAsync(new CancelJobRequest { JobId = c.Id });
    }

    [Fact]
    public async Task CancellingARunningJobSavesACheckpointAndEndsCancelled()
    {
        await using var node = await TestNode.StartAsync();
        var job = await node.SubmitAsync("long", "", "max_steps=100000", "save_steps=100000", "logging_steps=1");
        await node.WaitForAsync(job.Id, j => j.Step >= 3);

        var answer = await node.Jobs().CancelJobAsync(new CancelJobRequest { JobId = job.Id });
        Assert.Equal(JobState.Running, answer.State); // stops after its current step
        var events = await node.FollowAsync(job.Id);
        Assert.Equal(JobState.Cancelled, events[^1].StateChanged.State);

        var final = await node.Jobs().GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.Equal(JobState.Cancelled, final.State);
        Assert.True(final.HasLastCheckpointStep);
        Assert.Equal(final.Step, final.LastCheckpointStep);
        Assert.True(File.Exists(Path.Combine(node.OutputRoot, "long", $"checkpoint-{final.Step}", "athanor-checkpoint.json")));

        var again = await node.Jobs().CancelJobAsync(new CancelJobRequest { JobId = job.Id });
        Assert.Equal(JobState.Cancelled, again.State);
        Assert.Equal(final.LastSequence, again.LastSequence);
    }

    [Fact]
    public async Task CancellingAPendingJobEndsItAtOnceAndAFinishedJobRefuses()
    {
        await using var node = await TestNode.StartAsync();
        var done = await node.SubmitAsync("done");
        await node.FollowAsync(done.Id);
        var running = await node.SubmitAsync("running", "", "max_steps=100000", "save_steps=100000");
        var queued = await node.SubmitAsync("queued");
        await node.WaitForAsync(running.Id, j => j.State == JobState.Running);

        var cancelled = await node.Jobs().CancelJobAsync(new CancelJobRequest { JobId = queued.Id });
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal(0, cancelled.Attempts);

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await node.Jobs().CancelJobAsync(new CancelJobRequest { JobId = done.Id }));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("already succeeded; only pending or running jobs can be cancelled", refused.Status.Detail);

        await node.Jobs().CancelJobAsync(new CancelJobRequest { JobId = running.Id });
        var afterRunning = await node.FollowAsync(running.Id);
        Assert.Equal(JobState.Cancelled, afterRunning[^1].StateChanged.State);
        // The queued job never ran: its output_dir holds only the ownership mark the cluster writes at submission.
        Assert.Equal([Path.Combine(node.OutputRoot, "queued", "athanor-job.json")], Directory.GetFileSystemEntries(Path.Combine(node.OutputRoot, "queued")));
    }

    [Fact]
    public async Task AJobThatCannotStartFailsWithTheReason()
    {
        await using var node = await TestNode.StartAsync();
        Directory.CreateDirectory(Path.Combine(node.DataRoot, "empty-model"));
        var job = await node.SubmitAsync("broken", "", $"model_name_or_path={Path.Combine(node.DataRoot, "empty-model")}");
        var events = await node.FollowAsync(job.Id);
        Assert.Equal(JobState.Failed, events[^1].StateChanged.State);
        Assert.Contains("empty-model", events[^1].StateChanged.Error);
        var final = await node.Jobs().GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.Equal(events[^1].StateChanged.Error, final.Error);
        Assert.Equal(1, final.Attempts);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("cancel")]
    [InlineData("watch")]
    public async Task UnknownJobIdIsNotFound(string rpc)
    {
        await using var node = await TestNode.StartAsync();
        var jobs = node.Jobs();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            switch (rpc)
            {
                case "get": await jobs.GetJobAsync(new GetJobRequest { JobId = "job-nope" }); break;
                case "cancel": await jobs.CancelJobAsync(new CancelJobRequest { JobId = "job-nope" }); break;
                default:
                    using (var call = jobs.WatchJob(new WatchJobRequest { JobId = "job-nope", Follow = true }))
                        await call.ResponseStream.MoveNext();
                    break;
            }
        });
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Contains("job-nope", ex.Status.Detail);
    }

    [Fact]
    public async Task EmptyJobIdIsInvalidArgument()
    {
        await using var node = await TestNode.StartAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await node.Jobs().GetJobAsync(new GetJobRequest()));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("job_id:", ex.Status.Detail);
    }
}

internal static class AsyncEnumerables
{
    public static async Task<List<T>> ToListAsync<T>(this IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source) list.Add(item);
        return list;
    }
}
