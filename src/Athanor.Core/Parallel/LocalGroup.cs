using System.Net;
using System.Net.Sockets;

namespace Athanor.Parallel;

/// <summary>
/// Rendezvous for a group whose ranks live in this process (threads), over loopback TCP: the same code
/// path as ranks in different processes or machines, with the endpoint exchange done locally.
/// </summary>
public sealed class LocalGroup
{
    private readonly TcpListener[] _listeners;
    private readonly IPEndPoint[] _endpoints;

    public LocalGroup(int worldSize, TimeSpan? timeout = null)
    {
        WorldSize = worldSize;
        Timeout = timeout ?? TimeSpan.FromSeconds(60);
        _listeners = Enumerable.Range(0, worldSize).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        foreach (var l in _listeners) l.Start();
        _endpoints = _listeners.Select(l => (IPEndPoint)l.LocalEndpoint).ToArray();
    }

    public int WorldSize { get; }
    public TimeSpan Timeout { get; }
    public RingCredentials Credentials { get; } = RingCredentials.NewAttempt();

    /// <summary>Called by rank r's thread; blocks until its ring neighbours are connected.</summary>
    public ICollective Join(int rank) => TcpRingCollective.Connect(rank, _endpoints, _listeners[rank], Credentials, Timeout);
}
