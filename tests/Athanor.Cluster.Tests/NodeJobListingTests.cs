using Athanor.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests;

/// <summary>
/// ListJobs and GetClusterStatus on a real `cluster node`: both read the job ids from the SQL journal's read side,
/// which needs the journal's connection settings of its own (with them unset, both answered INTERNAL
/// "DataProvider '' not found" and `cluster list` exited 1).
/// </summary>
public sealed class NodeJobListingTests(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>, IDisposable
{
    private readonly ClusterFolders _folders = new();
    private NodeProcess? _node;

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task ListJobsAndClusterStatusAnswerOnARealNode(string journalKind)
    {
        var journal = journalKind == "sqlite" ? "sqlite" : "postgres:" + postgres.Server.CreateDatabase("listing_" + Guid.NewGuid().ToString("N")[..6]);
        int akka = NodeProcess.FreePort();
        _node = new NodeProcess("a", akka, NodeProcess.FreePort(), [$"127.0.0.1:{akka}"], journal, _folders);
        _node.WaitUntilServing(TimeSpan.FromSeconds(90));
        var client = new ClusterClient(_folders);
        // Four ranks on a one-slot cluster: the job stays Pending, so the test costs no training.
        var id = client.Submit(_node.Server, _folders.WriteJob("listed", maxSteps: 4, saveSteps: 2, worldSize: 4));

        var (exit, text) = client.Run(_node.Server, "list");
        Assert.True(exit == 0, text);
        Assert.Contains(id, text);

        using var channel = GrpcChannel.ForAddress(_node.Server);
        var headers = new Metadata { { "authorization", "Bearer " + _folders.Token } };
        var jobs = await new JobService.JobServiceClient(channel).ListJobsAsync(new ListJobsRequest(), headers);
        Assert.Equal([id], jobs.Jobs.Select(j => j.Id));
        var pending = await new JobService.JobServiceClient(channel).ListJobsAsync(new ListJobsRequest { States = { JobState.Succeeded } }, headers);
        Assert.Empty(pending.Jobs);
        var status = await new ClusterService.ClusterServiceClient(channel).GetClusterStatusAsync(new GetClusterStatusRequest(), headers);
        Assert.Equal(1, status.PendingJobs);
        Assert.DoesNotContain("DataProvider", _node.Output);
    }

    public void Dispose()
    {
        if (_node is not null)
        {
            output.WriteLine($"--- node (last lines) ---\n{_node.Tail(25)}");
            _node.Dispose();
        }
        _folders.Dispose();
    }
}
