using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Athanor.Cli.Tests;

/// <summary>
/// A real `cluster serve` process on a free loopback port over a temporary folder: a data root with the
/// tiny model's config, the repository's demo data as a second data root, and an output root.
/// </summary>
public sealed class ServeFixture : IDisposable
{
    public const string Token = "cli-test-token-0123456789abcdef";

    private Process _process = null!;
    private StringBuilder _stdout = null!;
    private StringBuilder _stderr = null!;

    public ServeFixture()
    {
        Directory.CreateDirectory(Path.Combine(Folder.Path, "data"));
        Directory.CreateDirectory(Path.Combine(Folder.Path, "runs"));
        File.WriteAllText(Path.Combine(Folder.Path, "token"), Token);
        // TinyJob writes model/config.json under the folder it is given: the data root.
        TinyJob.Write(Path.Combine(Folder.Path, "data"));
        Start();
    }

    /// <summary>Starts `cluster serve` with the same flags over the same folders (after <see cref="Stop"/>: a restart).</summary>
    public void Start()
    {
        _process?.Dispose();
        _process = ClusterProcess.Start(Folder.Path,
            ["serve", "--grpc-port", "0", "--token-file", "token", "--data-root", "data",
             "--data-root", Path.Combine(ClusterProcess.RepoRoot, "examples", "demo"), "--output-root", "runs"],
            out _stdout, out _stderr);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string text;
            lock (_stdout) text = _stdout.ToString();
            var match = Regex.Match(text, @"listening on (http://\S+)");
            if (match.Success)
            {
                Address = match.Groups[1].Value;
                break;
            }
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(60))
                throw new InvalidOperationException($"cluster serve did not start:\n{text}\n{_stderr}");
            Thread.Sleep(50);
        }
    }

    internal TempFolder Folder { get; } = new();

    public string Address { get; private set; } = "";

    public string DataRoot => Path.Combine(Folder.Path, "data");

    public string OutputRoot => Path.Combine(Folder.Path, "runs");

    /// <summary>A job file in its own folder (the client side), with paths on the server.</summary>
    public string JobFile(string output, string extra = "")
    {
        var client = Path.Combine(Folder.Path, "client-" + output);
        Directory.CreateDirectory(client);
        var text = File.ReadAllText(Path.Combine(DataRoot, "job.yaml"))
            .Replace(Path.Combine(DataRoot, "out"), Path.Combine(OutputRoot, output), StringComparison.Ordinal);
        var path = Path.Combine(client, "job.yaml");
        File.WriteAllText(path, text + "\n" + extra + "\n");
        return path;
    }

    /// <summary>Runs a client command against this server (flags, unless the caller passes its own environment).</summary>
    internal ClusterProcess.Result Client(params string[] args) =>
        ClientProcess.Run(Folder.Path, new Dictionary<string, string?>(), [args[0], "--server", Address, "--token", Token, .. args[1..]]);

    /// <summary>SIGTERM: the server stops and exits 0.</summary>
    public (int ExitCode, string Output) Stop()
    {
        if (_process.HasExited) return (_process.ExitCode, _stdout.ToString());
        Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(60))) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        lock (_stdout) return (_process.ExitCode, _stdout.ToString() + _stderr);
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        Folder.Dispose();
    }
}

/// <summary>Runs `cluster` with a chosen environment; ATHANOR_* from the test machine never leak in.</summary>
internal static class ClientProcess
{
    public static ClusterProcess.Result Run(string workingDir, IDictionary<string, string?> env, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDir, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(ClusterProcess.Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["ATHANOR_SERVER"] = null;
        info.Environment["ATHANOR_TOKEN"] = null;
        info.Environment["ATHANOR_CONFIG"] = Path.Combine(workingDir, "no-such-config");
        foreach (var (k, v) in env) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"cluster {string.Join(' ', args)} did not finish");
        }
        return new ClusterProcess.Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static string LastWordOfLastLine(string stdout) => stdout.TrimEnd().Split('\n')[^1].Split(' ')[^1];

    /// <summary>The cluster backend's job ids: the submission's UTC time and 6 random hex digits.</summary>
    public const string JobIdPattern = "^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$";
}

public class ClientCommandTests(ServeFixture server) : IClassFixture<ServeFixture>
{
    [Fact]
    public void SubmitFollowStatusListLogsAndNodesWorkEndToEnd()
    {
        var submit = server.Client("submit", server.JobFile("e2e"), "--name", "tiny run", "--follow", "--set", "max_steps=6");
        Assert.True(submit.ExitCode == 0, submit.All);
        var id = ClientProcess.LastWordOfLastLine(submit.Stdout);
        Assert.Matches(ClientProcess.JobIdPattern, id);
        Assert.Equal("Succeeded " + id, submit.Stdout.TrimEnd().Split('\n')[^1]);
        Assert.Contains("state Running", submit.Stdout);
        Assert.Contains("step      6/6", submit.Stdout);
        Assert.Contains("checkpoint at step 5", submit.Stdout);

        var status = server.Client("status", id, "--json");
        Assert.True(status.ExitCode == 0, status.All);
        var json = JsonNode.Parse(status.Stdout)!.AsObject();
        Assert.Equal(id, json["id"]!.GetValue<string>());
        Assert.Equal("tiny run", json["name"]!.GetValue<string>());
        Assert.Equal("Succeeded", json["state"]!.GetValue<string>());
        Assert.Equal(6, json["step"]!.GetValue<int>());
        Assert.Equal(6, json["max_steps"]!.GetValue<int>());
        Assert.Equal(1, json["world_size"]!.GetValue<int>());
        Assert.Equal(1, json["attempts"]!.GetValue<int>());
        Assert.Equal(6, json["last_checkpoint_step"]!.GetValue<int>());
        Assert.True(json["metrics"]!["loss"]!.GetValue<double>() > 0);
        Assert.Null(json["metrics"]!["eval_loss"]);

        var text = server.Client("status", id);
        Assert.Contains("Succeeded", text.Stdout);
        Assert.Contains("6/6 (100%)", text.Stdout);

        var list = server.Client("list", "--json", "--state", "Succeeded");
        Assert.Contains(JsonNode.Parse(list.Stdout)!.AsArray(), j => j!["id"]!.GetValue<string>() == id);
        Assert.Contains(id, server.Client("list").Stdout);
        Assert.DoesNotContain(id, server.Client("list", "--state", "running,pending").Stdout);

        var logs = server.Client("logs", id);
        Assert.Equal(0, logs.ExitCode);
        Assert.Contains("state Succeeded", logs.Stdout);
        var follow = server.Client("logs", "-f", id);
        Assert.Equal(logs.Stdout.Split('\n').Length, follow.Stdout.Split('\n').Length);

        var nodes = server.Client("nodes", "--json");
        var node = Assert.Single(JsonNode.Parse(nodes.Stdout)!.AsArray())!;
        // `cluster serve` is a cluster of one member, listed by its Akka address (on loopback).
        Assert.StartsWith("akka.tcp://athanor@127.0.0.1:", node["address"]!.GetValue<string>());
        Assert.Equal(["coordinator", "worker"], node["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal("Healthy", node["health"]!.GetValue<string>());
        Assert.Contains("HEALTH", server.Client("nodes").Stdout);
    }

    [Fact]
    public void SubmitPrintsTheIdAndCancelStopsTheJobWithACheckpoint()
    {
        var submit = server.Client("submit", server.JobFile("cancel"), "--set", "max_steps=100000", "--set", "save_steps=100000");
        Assert.True(submit.ExitCode == 0, submit.All);
        var id = ClientProcess.LastWordOfLastLine(submit.Stdout);
        Assert.Equal($"submitted {id}", submit.Stdout.Trim());

        var clock = Stopwatch.StartNew();
        while (JsonNode.Parse(server.Client("status", id, "--json").Stdout)!["step"]!.GetValue<int>() < 1)
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "the job did not start");
        var cancel = server.Client("cancel", id);
        Assert.True(cancel.ExitCode == 0, cancel.All);
        Assert.Equal(id, ClientProcess.LastWordOfLastLine(cancel.Stdout));

        var logs = server.Client("logs", id, "--follow");
        Assert.Contains("state Cancelled", logs.Stdout);
        var status = JsonNode.Parse(server.Client("status", id, "--json").Stdout)!;
        Assert.Equal("Cancelled", status["state"]!.GetValue<string>());
        int step = status["step"]!.GetValue<int>();
        Assert.Equal(step, status["last_checkpoint_step"]!.GetValue<int>());
        Assert.True(File.Exists(Path.Combine(server.OutputRoot, "cancel", $"checkpoint-{step}", "athanor-checkpoint.json")));

        Assert.Equal($"cancelled {id}", server.Client("cancel", id).Stdout.Trim());
    }

    [Fact]
    public void AFailedJobMakesSubmitFollowExitOne()
    {
        Directory.CreateDirectory(Path.Combine(server.DataRoot, "no-config"));
        var submit = server.Client("submit", server.JobFile("fails"), "--follow", "--set", $"model_name_or_path={Path.Combine(server.DataRoot, "no-config")}");
        Assert.Equal(1, submit.ExitCode);
        Assert.StartsWith("Failed ", submit.Stdout.TrimEnd().Split('\n')[^1]);
        Assert.Contains("error: the job failed:", submit.Stderr);
        Assert.Contains("no-config", submit.Stderr);
    }

    [Theory]
    [InlineData(2, "overrides.learning_rate: 'banana' is not a number", "--set", "learning_rate=banana")]
    [InlineData(3, "model_name_or_path: '/etc' is outside the allowed roots", "--set", "model_name_or_path=/etc")]
    [InlineData(3, "output_dir: '/tmp/elsewhere' is outside the output root", "--set", "output_dir=/tmp/elsewhere")]
    public void BadSubmissionsAreOneLineErrorsWithTheirExitCode(int exitCode, string expected, params string[] extra)
    {
        var result = server.Client(["submit", server.JobFile("bad"), .. extra]);
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void UnknownJobsAreExitFour()
    {
        foreach (var command in new[] { "status", "logs", "cancel" })
        {
            var result = server.Client(command, "job-doesnotexist");
            Assert.Equal(4, result.ExitCode);
            Assert.StartsWith("error: no job 'job-doesnotexist'", result.Stderr);
            Assert.Single(result.Stderr.Trim().Split('\n'));
        }
    }

    [Fact]
    public void AHugeJobIdIsABadInputNotAnUnreachableServer()
    {
        // 100,000 characters (one argument may hold 128 KiB): the error used to exceed the 64 KB header limit.
        var id = "job-" + new string('x', 100_000);
        foreach (var command in new[] { "status", "logs", "cancel" })
        {
            var result = server.Client(command, id);
            Assert.Equal(2, result.ExitCode);
            Assert.StartsWith("error: job_id: 'job-xxx", result.Stderr);
            Assert.Contains($"...' ({id.Length} characters) is not a job id", result.Stderr);
            Assert.True(result.Stderr.Length < 600, result.Stderr[..Math.Min(600, result.Stderr.Length)]);
            Assert.DoesNotContain("cannot reach", result.Stderr);
        }
        Assert.Equal(4, server.Client("status", "job-" + new string('y', 60)).ExitCode);
    }

    [Fact]
    public void MalformedYamlIsOneErrorWithoutNotesAboutItsLines()
    {
        var job = Path.Combine(server.Folder.Path, "broken.yaml");
        File.WriteAllText(job, "model_name_or_path: [unclosed\noutput_dir: out\n");
        var result = server.Client("submit", job);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("YAML syntax error", result.Stderr);
        Assert.DoesNotContain("note:", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void MissingOrWrongTokensAreExitThree()
    {
        var none = ClientProcess.Run(server.Folder.Path, new Dictionary<string, string?>(), "list", "--server", server.Address);
        Assert.Equal(3, none.ExitCode);
        Assert.Contains("no bearer token", none.Stderr);
        Assert.Contains("no token was given", none.Stderr);
        var wrong = ClientProcess.Run(server.Folder.Path, new Dictionary<string, string?>(), "list", "--server", server.Address, "--token", "not-the-token-at-all");
        Assert.Equal(3, wrong.ExitCode);
        Assert.Contains("not valid", wrong.Stderr);
        Assert.Single(wrong.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void ServerAndTokenComeFromFlagsThenEnvironmentThenTheConfigFile()
    {
        var home = Path.Combine(server.Folder.Path, "home");
        Directory.CreateDirectory(home);
        File.WriteAllText(Path.Combine(home, "token"), ServeFixture.Token + "\n");
        var config = Path.Combine(home, "config");
        File.WriteAllText(config, $"# client defaults\nserver = {server.Address}\ntoken_file = token\n");

        var fromFile = ClientProcess.Run(server.Folder.Path, new Dictionary<string, string?> { ["ATHANOR_CONFIG"] = config }, "nodes");
        Assert.True(fromFile.ExitCode == 0, fromFile.All);

        var fromEnv = ClientProcess.Run(server.Folder.Path,
            new Dictionary<string, string?> { ["ATHANOR_SERVER"] = server.Address, ["ATHANOR_TOKEN"] = ServeFixture.Token }, "nodes");
        Assert.True(fromEnv.ExitCode == 0, fromEnv.All);

        // The environment wins over the file, and flags over the environment.
        var envWins = ClientProcess.Run(server.Folder.Path,
            new Dictionary<string, string?> { ["ATHANOR_CONFIG"] = config, ["ATHANOR_TOKEN"] = "wrong-token-from-the-environment" }, "nodes");
        Assert.Equal(3, envWins.ExitCode);
        Assert.Contains("token from ATHANOR_TOKEN", envWins.Stderr);
        var flagWins = ClientProcess.Run(server.Folder.Path,
            new Dictionary<string, string?> { ["ATHANOR_CONFIG"] = config, ["ATHANOR_TOKEN"] = "wrong-token-from-the-environment" },
            "nodes", "--token", ServeFixture.Token);
        Assert.True(flagWins.ExitCode == 0, flagWins.All);

        File.WriteAllText(config, "srever = x\n");
        var badFile = ClientProcess.Run(server.Folder.Path, new Dictionary<string, string?> { ["ATHANOR_CONFIG"] = config }, "nodes");
        Assert.Equal(2, badFile.ExitCode);
        Assert.Contains($"{config}:1: unknown key 'srever'; accepted: server, token", badFile.Stderr);
    }

    [Fact]
    public void AnUnreachableServerIsExitFive()
    {
        var result = server.Client("list", "--server", "127.0.0.1:1");
        // Two --server flags: the reader refuses that (exit 2); so call without the fixture's flags.
        Assert.Equal(2, result.ExitCode);
        var unreachable = ClientProcess.Run(server.Folder.Path, new Dictionary<string, string?>(), "list", "--server", "127.0.0.1:1", "--token", ServeFixture.Token);
        Assert.Equal(5, unreachable.ExitCode);
        Assert.StartsWith("error: cannot reach the server at http://127.0.0.1:1", unreachable.Stderr);
        Assert.Single(unreachable.Stderr.Trim().Split('\n'));
    }

    [Theory]
    [InlineData(new[] { "list", "--state", "Done" }, "--state 'Done' is not a job state; accepted: Pending, Running")]
    [InlineData(new[] { "logs", "-x", "job-1" }, "unknown flag '-x'")]
    [InlineData(new[] { "status" }, "which job?")]
    [InlineData(new[] { "submit" }, "which job file?")]
    [InlineData(new[] { "submit", "/nonexistent/job.yaml" }, "/nonexistent/job.yaml: the job file does not exist")]
    [InlineData(new[] { "list", "--server", "ftp://x" }, "server 'ftp://x' is not an address")]
    public void BadClientCommandLinesAreExitTwo(string[] args, string expected)
    {
        var result = ClientProcess.Run(server.Folder.Path, new Dictionary<string, string?>(), args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Stderr);
    }

    [Fact]
    public void SubmitWarnsThatRelativePathsResolveOnTheServer()
    {
        var job = server.JobFile("relative");
        var result = server.Client("submit", job, "--set", "model_name_or_path=model", "--set", "output_dir=relative", "--set", "max_steps=1");
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("note: relative paths resolve on the server: model_name_or_path 'model' against its first data root, output_dir 'relative' against its output root", result.Stderr);
        var id = ClientProcess.LastWordOfLastLine(result.Stdout);
        server.Client("logs", "-f", id);
        Assert.True(File.Exists(Path.Combine(server.OutputRoot, "relative", "model.safetensors")));
    }
}

public class ServeCommandTests
{
    [Fact]
    public void ServeNeedsATokenFileAndRoots()
    {
        using var temp = new TempFolder();
        var none = ClientProcess.Run(temp.Path, new Dictionary<string, string?>(), "serve", "--data-root", ".", "--output-root", ".");
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("--token-file FILE is required", none.Stderr);
        File.WriteAllText(Path.Combine(temp.Path, "token"), "short");
        var shortToken = ClientProcess.Run(temp.Path, new Dictionary<string, string?>(), "serve", "--token-file", "token", "--data-root", ".", "--output-root", ".");
        Assert.Equal(2, shortToken.ExitCode);
        Assert.Contains("at least 16", shortToken.Stderr);
        File.WriteAllText(Path.Combine(temp.Path, "token"), ServeFixture.Token);
        var noRoot = ClientProcess.Run(temp.Path, new Dictionary<string, string?>(), "serve", "--token-file", "token", "--data-root", "missing", "--output-root", ".");
        Assert.Equal(2, noRoot.ExitCode);
        Assert.Contains("data root 'missing' is not an existing folder", noRoot.Stderr);
    }

    [Fact]
    public void AJobSubmittedToServeIsListedAfterARestartWithItsEvents()
    {
        using var server = new ServeFixture();
        var submit = server.Client("submit", server.JobFile("kept"), "--name", "kept", "--follow", "--set", "max_steps=2");
        Assert.True(submit.ExitCode == 0, submit.All);
        var id = ClientProcess.LastWordOfLastLine(submit.Stdout);
        var (exitCode, output) = server.Stop();
        Assert.True(exitCode == 0, output);

        server.Start(); // the same flags: the journal under the output root is found again
        var list = server.Client("list");
        Assert.True(list.ExitCode == 0, list.All);
        var row = Assert.Single(list.Stdout.Split('\n'), line => line.StartsWith(id, StringComparison.Ordinal));
        Assert.Contains("kept", row);
        Assert.Contains("Succeeded", row);
        var status = JsonNode.Parse(server.Client("status", id, "--json").Stdout)!.AsObject();
        Assert.Equal(("Succeeded", 2), (status["state"]!.GetValue<string>(), status["step"]!.GetValue<int>()));
        var logs = server.Client("logs", id);
        Assert.True(logs.ExitCode == 0, logs.All);
        Assert.Contains("attempt 1 ended: Completed", logs.Stdout);
    }

    [Fact]
    public void AJobRunningWhenServeStopsGoesOnFromItsCheckpointAfterTheRestart()
    {
        using var server = new ServeFixture();
        var submit = server.Client("submit", server.JobFile("long"), "--name", "long", "--set", "max_steps=100000", "--set", "save_steps=100000");
        Assert.True(submit.ExitCode == 0, submit.All);
        var id = ClientProcess.LastWordOfLastLine(submit.Stdout);
        WaitFor(server, id, job => job["step"]!.GetValue<int>() >= 3);
        var (exitCode, output) = server.Stop(); // SIGTERM: the rank saves a checkpoint of its last step first
        Assert.True(exitCode == 0, output);

        server.Start();
        var stopped = WaitFor(server, id, job => job["last_checkpoint_step"] is not null && job["attempts"]!.GetValue<int>() == 2
                                                 && job["state"]!.GetValue<string>() == "Running");
        int checkpoint = stopped["last_checkpoint_step"]!.GetValue<int>();
        Assert.True(checkpoint >= 3, stopped.ToJsonString());
        var resumed = WaitFor(server, id, job => job["step"]!.GetValue<int>() > checkpoint);
        Assert.Equal(2, resumed["attempts"]!.GetValue<int>());
        Assert.Equal(0, server.Client("cancel", id).ExitCode);
    }

    private static JsonObject WaitFor(ServeFixture server, string id, Func<JsonObject, bool> done)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = server.Client("status", id, "--json");
            var job = status.ExitCode == 0 ? JsonNode.Parse(status.Stdout)!.AsObject() : null;
            if (job is not null && done(job)) return job;
            if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException($"job {id}: {status.All}");
            Thread.Sleep(200);
        }
    }

    [Fact]
    public void SigtermStopsTheServerCleanly()
    {
        using var server = new ServeFixture();
        Assert.Equal(0, server.Client("nodes").ExitCode);
        var (exitCode, output) = server.Stop();
        Assert.True(exitCode == 0, output);
        Assert.Contains("cluster serve: stopped", output);
    }
}
