using System.Net;
using System.Net.Sockets;

namespace Athanor.Console.Tests;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a node's HTTP port, so a test can lose the browser's connections for real:
/// <see cref="Cut"/> resets every open connection and, for a while, drops each new one as soon as it arrives.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Lock _gate = new();
    private DateTime _refuseUntil = DateTime.MinValue;
    private readonly Task _accepting;

    public TcpRelay(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _accepting = Task.Run(AcceptLoop);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many connections were cut (open ones reset, new ones dropped).</summary>
    public int Cuts { get; private set; }

    /// <summary>Resets every open connection and drops new ones for <paramref name="outage"/>.</summary>
    public void Cut(TimeSpan outage)
    {
        lock (_gate)
        {
            _refuseUntil = DateTime.UtcNow + outage;
            foreach (var c in _open) { Cuts++; Reset(c); }
            _open.Clear();
        }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            lock (_gate)
            {
                if (DateTime.UtcNow < _refuseUntil) { Cuts++; Reset(client); continue; }
            }
            _ = Task.Run(() => Relay(client));
        }
    }

    private async Task Relay(TcpClient client)
    {
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            lock (_gate) { _open.Add(client); _open.Add(server); }
            var a = client.GetStream().CopyToAsync(server.GetStream(), _stop.Token);
            var b = server.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
            await Task.WhenAny(a, b);
        }
        catch (Exception) { /* cut, or the other side left */ }
        finally
        {
            lock (_gate) { _open.Remove(client); _open.Remove(server); }
            client.Dispose();
        }
    }

    // RST rather than FIN: the browser sees a broken connection, not a stream that ended.
    private static void Reset(TcpClient client)
    {
        try { client.Client.LingerState = new LingerOption(true, 0); client.Close(); } catch (Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _accepting; } catch (Exception) { }
        lock (_gate) { foreach (var c in _open) c.Dispose(); _open.Clear(); }
    }
}
