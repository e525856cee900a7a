using System.Net;
using System.Net.Sockets;
using Athanor.Cluster.Workers;
using Athanor.Native;
using Athanor.Parallel;
using static TorchSharp.torch;

namespace Athanor.Cluster.Tests;

/// <summary>
/// The hand-over of a rank's listener and collective between its training thread and its actor thread, over real
/// sockets: an abort is never lost, whether it comes while the group forms, before it is published or while it trains.
/// </summary>
public class RankConnectionTests
{
    private static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    [Fact]
    public void An_abort_before_the_group_is_published_aborts_it_there_and_ends_the_attempt_with_the_reason()
    {
        using var connection = new RankConnection(Listen());
        connection.CloseListener();
        connection.Abort("node lost");
        var group = new SingleRankCollective();
        var error = Assert.Throws<CollectiveException>(() => connection.Publish(group));
        Assert.Equal("node lost", error.Message);
        Assert.Equal("node lost", connection.AbortReason);
        Assert.ThrowsAny<Exception>(group.Barrier); // the published group was aborted too
    }

    [Fact]
    public void An_abort_while_forming_stops_the_listener_the_ring_accepts_on_and_refuses_a_late_hand_over()
    {
        var listener = Listen();
        using var connection = new RankConnection(listener);
        var taken = connection.TakeListener();
        var accepting = Task.Run(() => taken.AcceptTcpClient());
        connection.Abort("attempt cancelled");
        Assert.ThrowsAny<Exception>(() => accepting.Wait(TimeSpan.FromSeconds(30)));
        Assert.True(accepting.IsCompleted, "the accept must end when the rank is aborted, not at the ring's timeout");
        Assert.Throws<CollectiveException>(connection.TakeListener);
        Assert.Equal("attempt cancelled", connection.AbortReason);
    }

    [Fact]
    public void An_abort_while_training_breaks_the_published_ring_on_both_ranks()
    {
        TorchRuntime.Initialize();
        var connections = new[] { new RankConnection(Listen()), new RankConnection(Listen()) };
        var endpoints = connections.Select(c => (IPEndPoint)c.TakeListener().LocalEndpoint).ToArray();
        var group = RingCredentials.NewAttempt();
        var outcomes = new string[2];
        var threads = Enumerable.Range(0, 2).Select(rank => new Thread(() =>
        {
            var connection = connections[rank];
            try
            {
                var ring = connection.Publish(TcpRingCollective.Connect(rank, endpoints, connection.TakeListener(), group, TimeSpan.FromSeconds(30)));
                using var value = ones(4);
                ring.AllReduceSum(value); // the group works
                outcomes[rank] = "formed";
                if (rank == 0) connection.Abort("node 2 unreachable");
                while (true) ring.AllReduceSum(value); // until the abort breaks it
            }
            catch (Exception ex) { outcomes[rank] += $"; {ex.GetType().Name}"; }
            finally { connection.Dispose(); }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromSeconds(60)), "an aborted ring must not hang");
        Assert.Equal("formed; CollectiveException", outcomes[0]);
        Assert.StartsWith("formed; ", outcomes[1]);
        Assert.Equal("node 2 unreachable", connections[0].AbortReason);
        connections[0].Abort("late"); // after the training thread disposed it: nothing to break, no error
        Assert.Equal("node 2 unreachable", connections[0].AbortReason);
    }
}
