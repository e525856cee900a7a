using Athanor.Node.Services;
using Athanor.Protocol.V1;
using Grpc.Core;

namespace Athanor.Node.Tests;

public class ValidationTests
{
    private static async Task<RpcException> Refused(TestNode node, SubmitJobRequest request) =>
        await Assert.ThrowsAsync<RpcException>(async () => await node.Jobs().SubmitJobAsync(request));

    private static string FieldPath(RpcException ex) => ex.Trailers.GetValue(ErrorMappingInterceptor.FieldPathTrailer)!;

    [Fact]
    public async Task ABadOverrideIsInvalidArgumentNamingTheKeyAndValue()
    {
        await using var node = await TestNode.StartAsync();
        var ex = await Refused(node, new SubmitJobRequest { ConfigYaml = node.JobYaml(), Overrides = { "learning_rate=banana" } });
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("overrides.learning_rate: 'banana' is not a number", ex.Status.Detail);
        Assert.Equal("overrides.learning_rate", FieldPath(ex));
        Assert.Empty((await node.Jobs().ListJobsAsync(new ListJobsRequest())).Jobs);
    }

    [Fact]
    public async Task ABadValueInTheYamlNamesTheFileLineAndKey()
    {
        await using var node = await TestNode.StartAsync();
        var ex = await Refused(node, new SubmitJobRequest { ConfigYaml = node.JobYaml(extra: "warmup_ratio: 2"), ConfigName = "job.yaml" });
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Matches(@"^config_yaml\.warmup_ratio: \(job\.yaml:\d+\) ", ex.Status.Detail);
        Assert.Equal("config_yaml.warmup_ratio", FieldPath(ex));
    }

    [Fact]
    public async Task AnUnknownKeyGetsASuggestion()
    {
        await using var node = await TestNode.StartAsync();
        var ex = await Refused(node, new SubmitJobRequest { ConfigYaml = node.JobYaml(extra: "learnig_rate: 0.1") });
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("config_yaml.learnig_rate", ex.Status.Detail);
        Assert.Contains("did you mean learning_rate", ex.Status.Detail);
    }

    [Fact]
    public async Task MalformedYamlIsInvalidArgument()
    {
        await using var node = await TestNode.StartAsync();
        var ex = await Refused(node, new SubmitJobRequest { ConfigYaml = "model_name_or_path: [unclosed\n  - x: {", ConfigName = "bad.yaml" });
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("bad.yaml", ex.Status.Detail);
    }

    [Fact]
    public async Task StructuredFieldsSubmitTheSameJob()
    {
        await using var node = await TestNode.StartAsync();
        var fields = new JobFields();
        foreach (var line in node.JobYaml("fields").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':');
            fields.Values[line[..colon]] = line[(colon + 1)..].Trim();
        }
        var job = await node.Jobs().SubmitJobAsync(new SubmitJobRequest { Fields = fields, Overrides = { "max_steps=4" } });
        var events = await node.FollowAsync(job.Id);
        Assert.Equal(JobState.Succeeded, events[^1].StateChanged.State);
        Assert.Equal(4, (await node.Jobs().GetJobAsync(new GetJobRequest { JobId = job.Id })).Step);

        fields.Values["learning_rate"] = "banana";
        var ex = await Refused(node, new SubmitJobRequest { Fields = fields });
        Assert.StartsWith("fields.learning_rate: 'banana'", ex.Status.Detail);
        fields.Values["learning_rate"] = "1e-3";
        fields.Values["Bad Key"] = "1";
        Assert.StartsWith("fields.Bad Key: not a config key", (await Refused(node, new SubmitJobRequest { Fields = fields })).Status.Detail);
    }

    [Fact]
    public async Task ARequestWithoutAConfigOrWithABadNameIsInvalidArgument()
    {
        await using var node = await TestNode.StartAsync();
        var missing = await Refused(node, new SubmitJobRequest { Name = "x" });
        Assert.Equal(StatusCode.InvalidArgument, missing.StatusCode);
        Assert.StartsWith("config: missing", missing.Status.Detail);
        var longName = await Refused(node, new SubmitJobRequest { ConfigYaml = node.JobYaml(), Name = new string('n', 200) });
        Assert.StartsWith("name: 200 characters", longName.Status.Detail);
        var badOverride = await Refused(node, new SubmitJobRequest { ConfigYaml = node.JobYaml(), Overrides = { "no-equals-sign" } });
        Assert.StartsWith("overrides: 'no-equals-sign' is not key=value", badOverride.Status.Detail);
    }

    [Fact]
    public async Task AHugeRequestIsResourceExhausted()
    {
        await using var node = await TestNode.StartAsync();
        var huge = node.JobYaml() + "\n# " + new string('x', 5 * 1024 * 1024);
        var ex = await Refused(node, new SubmitJobRequest { ConfigYaml = huge });
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        // The connection stays usable.
        Assert.Empty((await node.Jobs().ListJobsAsync(new ListJobsRequest())).Jobs);
    }

    [Fact]
    public async Task TheCpuExampleJobFileIsAValidJobThatFailsOnlyForItsMissingModel()
    {
        await using var node = await TestNode.StartAsync();
        var job = await Submit(node, "qwen3_lora_sft.yaml");
        var events = await node.FollowAsync(job.Id);
        Assert.Equal(JobState.Failed, events[^1].StateChanged.State);
        Assert.Contains("Qwen3-0.6B", events[^1].StateChanged.Error);
    }

    /// <summary>
    /// The GPU examples are accepted and wait for GPU slots, saying so: this server has one CPU slot (until aab915a,
    /// `cluster serve` ran every job in process and these failed at once for want of CUDA).
    /// </summary>
    [Theory]
    [InlineData("full_zero3.yaml")]
    [InlineData("qwen3_0.6b_gpu.yaml")]
    [InlineData("llama65b_lora_zero3.yaml")]
    [InlineData("llama2_13b_full_zero3.yaml")]
    public async Task TheGpuExampleJobFilesAreValidJobsThatWaitForGpuSlots(string file)
    {
        await using var node = await TestNode.StartAsync();
        var job = await Submit(node, file);
        job = await node.WaitForAsync(job.Id, j => j.WaitingReason.Length > 0, TimeSpan.FromSeconds(30));
        Assert.Equal(JobState.Pending, job.State);
        Assert.Contains("free cuda slot(s)", job.WaitingReason);
        await node.Jobs().CancelJobAsync(new CancelJobRequest { JobId = job.Id });
    }

    private static async Task<Job> Submit(TestNode node, string file)
    {
        var yaml = File.ReadAllText(Path.Combine(TestNode.RepoRoot, "examples", file));
        var job = await node.Jobs().SubmitJobAsync(new SubmitJobRequest { ConfigYaml = yaml, ConfigName = file });
        Assert.Equal(JobState.Pending, job.State);
        Assert.StartsWith(node.OutputRoot + "/", job.OutputDir);
        return job;
    }
}
