using Athanor.Protocol.V1;
using Grpc.Core;

namespace Athanor.Node.Tests;

public class WatchResumeTests
{
    [Fact]
    public async Task AWatchThatReconnectsFromTheNextSequenceGetsExactlyTheMissedEvents()
    {
        await using var node = await TestNode.StartAsync();
        var job = await node.SubmitAsync("resume", "", "max_steps=16", "logging_steps=1", "save_steps=100");

        // First connection: read a few events while the job runs, then drop the connection (channel and all).
        var received = new List<JobEvent>();
        var firstChannel = node.Channel();
        using (var call = new JobService.JobServiceClient(firstChannel).WatchJob(new WatchJobRequest { JobId = job.Id, Follow = true }))
        {
            while (received.Count < 8 && await call.ResponseStream.MoveNext())
                received.Add(call.ResponseStream.Current);
        }
        firstChannel.Dispose();
        Assert.Equal(8, received.Count);

        // Let the job move on while nobody watches, so there is something to miss.
        var meanwhile = await node.WaitForAsync(job.Id, j => j.Step >= 6);
        Assert.True(meanwhile.LastSequence > received[^1].Sequence + 3);

        // Second connection on a new channel, from the next sequence.
        received.AddRange(await node.FollowAsync(job.Id, from: received[^1].Sequence + 1));

        var everything = await node.Jobs().WatchJob(new WatchJobRequest { JobId = job.Id }).ResponseStream.ReadAllAsync().ToListAsync();
        Assert.Equal(everything.Select(e => e.Sequence), received.Select(e => e.Sequence));
        Assert.Equal(everything, received); // same events, field for field: nothing missed, nothing twice
        Assert.Equal(JobState.Succeeded, received[^1].StateChanged.State);
    }

    [Fact]
    public async Task AWatchPastItsDeadlineEndsAndTheServerLetsItGo()
    {
        await using var node = await TestNode.StartAsync();
        var job = await node.SubmitAsync("deadline", "", "max_steps=100000", "save_steps=100000");
        await node.WaitForAsync(job.Id, j => j.State == JobState.Running);

        using var call = node.Jobs().WatchJob(new WatchJobRequest { JobId = job.Id, Follow = true }, deadline: DateTime.UtcNow.AddMilliseconds(700));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => { while (await call.ResponseStream.MoveNext()) { } });
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        await WaitUntil(() => node.Backend.ActiveWatches == 0);

        // A client that cancels is let go the same way.
        using var cancel = new CancellationTokenSource();
        using var second = node.Jobs().WatchJob(new WatchJobRequest { JobId = job.Id, Follow = true }, cancellationToken: cancel.Token);
        Assert.True(await second.ResponseStream.MoveNext());
        Assert.Equal(1, node.Backend.ActiveWatches);
        cancel.Cancel();
        await WaitUntil(() => node.Backend.ActiveWatches == 0);

        await node.Jobs().CancelJobAsync(new CancelJobRequest { JobId = job.Id });
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "the server kept the watch open");
            await Task.Delay(20);
        }
    }
}
