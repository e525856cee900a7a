using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Athanor.Native;
using Athanor.Parallel;
using static TorchSharp.torch;

namespace Athanor.Tests.Parallel;

/// <summary>The ring lets in only peers that prove the attempt's secret, in both directions (RingHandshake).</summary>
public class RingHandshakeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static TcpListener Listen()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return l;
    }

    private static IPEndPoint EndpointOf(TcpListener l) => (IPEndPoint)l.LocalEndpoint;

    [Fact]
    public async Task AStrangerWithTheGroupIdButNotTheSecretIsTurnedAwayAndTheRingStillForms()
    {
        TorchRuntime.Initialize();
        var credentials = RingCredentials.NewAttempt();
        var listeners = new[] { Listen(), Listen() };
        var endpoints = listeners.Select(EndpointOf).ToArray();

        // The stranger knows the group id and claims rank 1 (what a sniffer of the old handshake learnt), but not the secret.
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        stranger.Connect(endpoints[0]);
        var rank0 = Task.Factory.StartNew(() => TcpRingCollective.Connect(0, endpoints, listeners[0], credentials, Timeout), TaskCreationOptions.LongRunning);
        var hello = new byte[52];
        credentials.GroupId.TryWriteBytes(hello);
        BitConverter.TryWriteBytes(hello.AsSpan(16), 1);
        RandomNumberGenerator.Fill(hello.AsSpan(20));
        stranger.Send(hello);
        var challenge = new byte[64];
        Assert.Equal(64, ReceiveAll(stranger, challenge));
        stranger.Send(RandomNumberGenerator.GetBytes(32)); // a guessed answer to rank 0's challenge
        Assert.Equal(0, ReceiveAll(stranger, new byte[1])); // rank 0 hangs up on it

        var rank1 = Task.Factory.StartNew(() => TcpRingCollective.Connect(1, endpoints, listeners[1], credentials, Timeout), TaskCreationOptions.LongRunning);
        await Task.WhenAll(rank0, rank1).WaitAsync(TimeSpan.FromSeconds(30)); // times out if the stranger blocked the ring
        using var c0 = await rank0;
        using var c1 = await rank1;
        var sums = new[] { c0, c1 }.Select(c => Task.Run(() =>
        {
            using var t = full(4, (float)(c.Rank + 1));
            c.AllReduceSum(t);
            return t.data<float>().ToArray();
        })).ToArray();
        foreach (var sum in sums) Assert.Equal(new float[] { 3, 3, 3, 3 }, await sum);
    }

    [Fact]
    public void ARankRefusesANextRankThatCannotProveTheSecret()
    {
        var credentials = RingCredentials.NewAttempt();
        var mine = Listen();
        var impostor = Listen(); // squats where rank 0 should listen, answering with a made-up proof
        var endpoints = new[] { EndpointOf(impostor), EndpointOf(mine) };
        var squat = Task.Run(() =>
        {
            using var s = impostor.AcceptSocket();
            ReceiveAll(s, new byte[52]);
            s.Send(RandomNumberGenerator.GetBytes(64));
            ReceiveAll(s, new byte[32]);
        });
        var error = Assert.Throws<CollectiveException>(() => TcpRingCollective.Connect(1, endpoints, mine, credentials, TimeSpan.FromSeconds(5)));
        Assert.Contains("did not prove the attempt's ring secret", error.Message);
        Assert.Contains(endpoints[0].ToString(), error.Message);
        impostor.Stop();
    }

    [Fact]
    public async Task TheSecretNeverCrossesTheWire()
    {
        var credentials = RingCredentials.NewAttempt();
        var listener = Listen();
        var seen = new List<byte>();
        var accept = Task.Run(() =>
        {
            using var s = listener.AcceptSocket();
            s.ReceiveTimeout = 10_000;
            var hello = new byte[52];
            ReceiveAll(s, hello);
            seen.AddRange(hello);
        });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 2_000 };
        client.Connect(EndpointOf(listener));
        var silent = Record.Exception(() => RingHandshake.Connect(client, credentials, 1, 0)); // the listener reads the hello and hangs up
        Assert.True(silent is IOException or SocketException, $"unexpected: {silent}");
        await accept;
        Assert.Equal(52, seen.Count);
        Assert.False(Contains(seen.ToArray(), credentials.Secret), "the ring secret was sent in the clear");
        listener.Stop();
    }

    private static bool Contains(byte[] haystack, byte[] needle) =>
        Enumerable.Range(0, haystack.Length - needle.Length + 1).Any(i => haystack.AsSpan(i, needle.Length).SequenceEqual(needle));

    /// <summary>Reads until the buffer is full or the peer closes; returns the bytes read.</summary>
    private static int ReceiveAll(Socket s, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Receive(buffer, total, buffer.Length - total, SocketFlags.None);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
