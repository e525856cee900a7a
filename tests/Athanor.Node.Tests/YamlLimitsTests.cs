using System.Diagnostics;
using System.Text;
using Athanor.Protocol.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit.Abstractions;

namespace Athanor.Node.Tests;

/// <summary>
/// Bounded work per request: YAML deeper than 64 levels or with more than 64 aliases is refused as soon as the
/// parser reaches the limit (80,000 nested '[' used to take 15-33 s of one core, quadratic in the depth), and
/// parsing stops when the caller's deadline passes.
/// </summary>
public class YamlLimitsTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> DeepDocuments => new()
    {
        { "flow lists", "ddp_timeout: " + new string('[', 80_000) + new string(']', 80_000) + "\n" },
        { "flow mappings", "ddp_timeout: " + string.Concat(Enumerable.Repeat("{a: ", 40_000)) + "1" + new string('}', 40_000) + "\n" },
        { "unclosed lists", "ddp_timeout: " + new string('[', 2_000_000) },
        { "block lists", "ddp_timeout:\n" + string.Concat(Enumerable.Range(0, 200).Select(i => new string(' ', i) + "-\n")) },
    };

    [Theory]
    [MemberData(nameof(DeepDocuments))]
    public async Task DeepNestingIsRefusedNamingTheLimit(string what, string yaml)
    {
        await using var node = await TestNode.StartAsync();
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await node.Jobs().SubmitJobAsync(
            new SubmitJobRequest { ConfigYaml = node.JobYaml() + "\n" + yaml, ConfigName = "deep.yaml" }, deadline: DateTime.UtcNow.AddMinutes(2)));
        output.WriteLine($"{what} ({yaml.Length} characters): {ex.StatusCode} after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("YAML nested deeper than 64 levels", ex.Status.Detail);
        Assert.Equal("config_yaml", ex.Trailers.GetValue("athanor-field-path"));
    }

    [Fact]
    public async Task ManyAliasesAreRefusedNamingTheLimit()
    {
        await using var node = await TestNode.StartAsync();
        var yaml = "ddp_timeout: [&a 1, " + string.Join(", ", Enumerable.Repeat("*a", 1000)) + "]\n";
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await node.Jobs().SubmitJobAsync(
            new SubmitJobRequest { ConfigYaml = node.JobYaml(extra: yaml), ConfigName = "aliases.yaml" }));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("more than 64 YAML aliases", ex.Status.Detail);
    }

    [Fact]
    public async Task AWideValidDocumentUpToTheSizeLimitIsParsed()
    {
        // 3.5 MB of one ignored key's list: linear work, answered with the ordinary result.
        await using var node = await TestNode.StartAsync();
        var yaml = new StringBuilder("ddp_timeout: [");
        while (yaml.Length < 3_500_000) yaml.Append("1234567, ");
        yaml.Append("1]\n");
        var clock = Stopwatch.StartNew();
        var job = await node.Jobs().SubmitJobAsync(new SubmitJobRequest { ConfigYaml = node.JobYaml(extra: yaml.ToString()), Overrides = { "max_steps=1" } },
            deadline: DateTime.UtcNow.AddMinutes(2));
        output.WriteLine($"3.5 MB document: submitted in {clock.ElapsedMilliseconds} ms");
        await node.WaitForAsync(job.Id, j => j.State is JobState.Succeeded or JobState.Failed);
    }

    [Fact]
    public async Task ACallPastItsDeadlineEndsAndTheServerGoesOn()
    {
        await using var node = await TestNode.StartAsync();
        var yaml = new StringBuilder("ddp_timeout: [");
        while (yaml.Length < 3_900_000) yaml.Append("[1, [2, [3]]], ");
        yaml.Append("1]\n");
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await node.Jobs().SubmitJobAsync(
            new SubmitJobRequest { ConfigYaml = node.JobYaml(extra: yaml.ToString()) }, deadline: DateTime.UtcNow.AddMilliseconds(20)));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        var health = await new Health.HealthClient(node.Channel()).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Empty((await node.Jobs().ListJobsAsync(new ListJobsRequest())).Jobs);
    }
}
