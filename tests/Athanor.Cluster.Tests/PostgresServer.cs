using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Athanor.Cluster.Tests;

/// <summary>
/// A real PostgreSQL server for the tests, in a temporary folder on a free loopback port, trust auth.
/// PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (created by Debian's
/// postgresql package, which .ci/run installs).
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "athanor-pg-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _bin;
    private readonly bool _asPostgresUser;

    public PostgresServer()
    {
        _bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql/*/bin; install them: apt-get install -y postgresql");
        _asPostgresUser = Environment.UserName == "root";
        Directory.CreateDirectory(_dir);
        if (_asPostgresUser) Run("chown", ["-R", "postgres:postgres", _dir], asPostgres: false);
        Port = FreePort();
        Run(Path.Combine(_bin, "initdb"), ["-D", Path.Combine(_dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
        Run(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "log"), "-w", "start",
            "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"]);
        Run(Path.Combine(_bin, "psql"), ["-h", "127.0.0.1", "-p", Port.ToString(), "-U", "postgres", "-c", "CREATE DATABASE athanor"]);
    }

    public int Port { get; }

    public string ConnectionString => Connection("athanor");

    public string Connection(string database) => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true";

    /// <summary>A fresh database, so each test's cluster starts with an empty journal.</summary>
    public string CreateDatabase(string name)
    {
        Run(Path.Combine(_bin, "psql"), ["-h", "127.0.0.1", "-p", Port.ToString(), "-U", "postgres", "-c", $"CREATE DATABASE {name}"]);
        return Connection(name);
    }

    private static string? FindBinaries()
    {
        if (!Directory.Exists("/usr/lib/postgresql")) return null;
        return Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderDescending().FirstOrDefault();
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private void Run(string file, string[] args, bool asPostgres = true)
    {
        var info = asPostgres && _asPostgresUser ? new ProcessStartInfo("runuser") : new ProcessStartInfo(file);
        if (asPostgres && _asPostgresUser) { info.ArgumentList.Add("-u"); info.ArgumentList.Add("postgres"); info.ArgumentList.Add("--"); info.ArgumentList.Add(file); }
        foreach (var a in args) info.ArgumentList.Add(a);
        info.RedirectStandardOutput = info.RedirectStandardError = true;
        info.WorkingDirectory = _dir;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}{stdout.Result}");
    }

    public void Dispose()
    {
        try { Run(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "stop"]); } catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
