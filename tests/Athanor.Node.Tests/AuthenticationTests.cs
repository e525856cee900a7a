using Athanor.Protocol.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;

namespace Athanor.Node.Tests;

public class AuthenticationTests
{
    [Theory]
    [InlineData(null, "no bearer token")]
    [InlineData("wrong-token-0123456789abcdef", "not valid")]
    [InlineData("test-token-0123456789abcdeX", "not valid")]
    public async Task CallsWithoutTheRightTokenAreUnauthenticated(string? token, string expected)
    {
        await using var node = await TestNode.StartAsync();
        var jobs = node.Jobs(token);
        var submit = await Assert.ThrowsAsync<RpcException>(async () => await jobs.SubmitJobAsync(new SubmitJobRequest { ConfigYaml = node.JobYaml() }));
        Assert.Equal(StatusCode.Unauthenticated, submit.StatusCode);
        Assert.Contains(expected, submit.Status.Detail);

        var list = await Assert.ThrowsAsync<RpcException>(async () => await jobs.ListJobsAsync(new ListJobsRequest()));
        Assert.Equal(StatusCode.Unauthenticated, list.StatusCode);
        var watch = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = jobs.WatchJob(new WatchJobRequest { JobId = "job-x" });
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.Unauthenticated, watch.StatusCode);
        var nodes = await Assert.ThrowsAsync<RpcException>(async () => await node.Cluster(token).ListNodesAsync(new ListNodesRequest()));
        Assert.Equal(StatusCode.Unauthenticated, nodes.StatusCode);
        Assert.Empty((await node.Jobs().ListJobsAsync(new ListJobsRequest())).Jobs); // nothing was queued
    }

    [Fact]
    public async Task TheHealthServiceAnswersWithoutAToken()
    {
        await using var node = await TestNode.StartAsync();
        var health = new Health.HealthClient(node.Channel(token: null));
        var answer = await health.CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, answer.Status);
    }

    [Fact]
    public async Task ReflectionListsTheServicesToAuthenticatedCallers()
    {
        await using var node = await TestNode.StartAsync();
        var reflection = new ServerReflection.ServerReflectionClient(node.Channel());
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext());
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("athanor.v1.JobService", names);
        Assert.Contains("athanor.v1.ClusterService", names);
        Assert.Contains("grpc.health.v1.Health", names);

        var anonymous = new ServerReflection.ServerReflectionClient(node.Channel(token: null));
        using var refused = anonymous.ServerReflectionInfo();
        // The server refuses the call as it starts, before reading any request.
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await refused.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task ANodeWithoutATokenOrWithAShortOneDoesNotStart()
    {
        var none = await Assert.ThrowsAsync<ArgumentException>(() => TestNode.StartAsync((_, o) => new Hosting.NodeOptions { DataRoots = o.DataRoots, OutputRoot = o.OutputRoot }));
        Assert.Contains("--token-file", none.Message);
        var shortToken = await Assert.ThrowsAsync<ArgumentException>(() => TestNode.StartAsync((root, o) =>
        {
            File.WriteAllText(Path.Combine(root, "short"), "abc");
            return new Hosting.NodeOptions { TokenFile = Path.Combine(root, "short"), DataRoots = o.DataRoots, OutputRoot = o.OutputRoot };
        }));
        Assert.Contains("at least 16", shortToken.Message);
    }
}
