using Athanor.Protocol.V1;
using Grpc.Core;
using Grpc.Health.V1;

namespace Athanor.Node.Tests;

/// <summary>
/// Errors quote at most a bounded prefix of what was sent, and trailers carry only safe ASCII: a 300 KB job id
/// once made an error trailer above the 64 KB header limit (the CLI then said "cannot reach the server"), and a
/// key of Chinese or control characters in the athanor-field-path trailer made Kestrel answer HTTP 500.
/// </summary>
public class ErrorBoundsTests
{
    private static readonly string Huge = "job-" + new string('x', 300_000);

    private static async Task<RpcException> Submit(JobService.JobServiceClient jobs, SubmitJobRequest request) =>
        await Assert.ThrowsAsync<RpcException>(async () => await jobs.SubmitJobAsync(request, deadline: DateTime.UtcNow.AddSeconds(30)));

    [Theory]
    [InlineData("学习率: 0.1", "config_yaml.%E5%AD%A6%E4%B9%A0%E7%8E%87", "unknown key;")]
    [InlineData("learning_ratè: 0.1", "config_yaml.learning_rat%C3%A8", "unknown key; did you mean learning_rate?")]
    [InlineData("\"bad\\x01key\": 1", "config_yaml.bad\\u0001key", "unknown key;")]
    public async Task AnUnknownKeyOfAnyCharactersIsInvalidArgumentWithAnAsciiTrailer(string line, string trailer, string message)
    {
        await using var node = await TestNode.StartAsync();
        var ex = await Submit(node.Jobs(), new SubmitJobRequest { ConfigYaml = node.JobYaml(extra: line), ConfigName = "job.yaml" });
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(message, ex.Status.Detail);
        Assert.Equal(trailer, ex.Trailers.GetValue("athanor-field-path"));
    }

    [Fact]
    public async Task AFieldsKeyOfChineseCharactersIsInvalidArgument()
    {
        await using var node = await TestNode.StartAsync();
        var request = new SubmitJobRequest { Fields = new JobFields() };
        request.Fields.Values["学习率"] = "0.1";
        var ex = await Submit(node.Jobs(), request);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("fields.学习率: not a config key", ex.Status.Detail);
        Assert.Equal("fields.%E5%AD%A6%E4%B9%A0%E7%8E%87", ex.Trailers.GetValue("athanor-field-path"));
    }

    [Fact]
    public async Task AHugeJobIdIsAShortInvalidArgumentAndTheConnectionGoesOn()
    {
        await using var node = await TestNode.StartAsync();
        var channel = node.Channel();
        var jobs = new JobService.JobServiceClient(channel);
        var job = await jobs.SubmitJobAsync(new SubmitJobRequest { ConfigYaml = node.JobYaml(), Overrides = { "max_steps=1" } });
        var calls = new Func<Task>[]
        {
            async () => await jobs.GetJobAsync(new GetJobRequest { JobId = Huge }),
            async () => await jobs.CancelJobAsync(new CancelJobRequest { JobId = Huge }),
            async () =>
            {
                using var watch = jobs.WatchJob(new WatchJobRequest { JobId = Huge });
                await watch.ResponseStream.MoveNext();
            },
        };
        foreach (var call in calls)
        {
            var ex = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.StartsWith("job_id: 'job-xxx", ex.Status.Detail);
            Assert.Contains($"...' ({Huge.Length} characters) is not a job id", ex.Status.Detail);
            Assert.True(ex.Status.Detail.Length < 500, ex.Status.Detail.Length.ToString());
            // The same connection still answers.
            Assert.Equal(job.Id, (await jobs.GetJobAsync(new GetJobRequest { JobId = job.Id })).Id);
        }
        var notFound = await Assert.ThrowsAsync<RpcException>(async () => await jobs.GetJobAsync(new GetJobRequest { JobId = "job-" + new string('y', 60) }));
        Assert.Equal(StatusCode.NotFound, notFound.StatusCode);
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }

    [Theory]
    [InlineData("learning_rate=")]
    [InlineData("finetuning_type=")]
    [InlineData("lora_target=")]
    [InlineData("unknown_key_")]
    [InlineData("deepspeed=")]
    [InlineData("no equals sign ")]
    public async Task AHugeValueOrKeyIsQuotedOnlyInPart(string prefix)
    {
        await using var node = await TestNode.StartAsync();
        var ex = await Submit(node.Jobs(), new SubmitJobRequest { ConfigYaml = node.JobYaml(), Overrides = { prefix + new string('9', 300_000) + (prefix.EndsWith('_') ? "=1" : "") } });
        var start = ex.Status.Detail[..Math.Min(300, ex.Status.Detail.Length)];
        Assert.True(ex.StatusCode is StatusCode.InvalidArgument or StatusCode.PermissionDenied, $"{ex.StatusCode}: {start}");
        Assert.True(ex.Status.Detail.Length < 1000, $"{ex.Status.Detail.Length} characters: {start}");
        Assert.True((ex.Trailers.GetValue("athanor-field-path") ?? "").Length <= 256);
    }

    [Fact]
    public async Task AHugePageTokenIsQuotedOnlyInPart()
    {
        await using var node = await TestNode.StartAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await node.Jobs().ListJobsAsync(new ListJobsRequest { PageToken = Huge }));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.True(ex.Status.Detail.Length < 500);
    }
}
