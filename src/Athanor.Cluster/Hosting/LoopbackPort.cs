using System.Net;
using System.Net.Sockets;

namespace Athanor.Cluster.Hosting;

/// <summary>A free TCP port on 127.0.0.1 for a node that is a cluster of its own (it seeds itself, so it must know its port).</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
