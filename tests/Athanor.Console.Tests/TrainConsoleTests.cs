using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Athanor.Cluster.Tests;

namespace Athanor.Console.Tests;

/// <summary>`cluster train --console` serves the console of its embedded cluster, with a token made up for the run.</summary>
public sealed partial class TrainConsoleTests
{
    [Fact]
    public async Task Train_with_console_serves_its_job_and_refuses_requests_without_the_printed_token()
    {
        using var folders = new ClusterFolders();
        var job = folders.WriteJob("train-console", maxSteps: 400, saveSteps: 400, worldSize: 1);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folders.Root };
        foreach (var a in new[] { NodeProcess.ClusterDll, "train", job, "--console" }) info.ArgumentList.Add(a);
        using var train = Process.Start(info)!;
        var output = new StringBuilder();
        train.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        train.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        train.BeginOutputReadLine();
        train.BeginErrorReadLine();
        try
        {
            Match line = Match.Empty;
            var clock = Stopwatch.StartNew();
            while (!(line = ConsoleLine().Match(Text())).Success)
            {
                Assert.False(train.HasExited, Text());
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), Text());
                await Task.Delay(100);
            }
            var (address, token) = (line.Groups[1].Value, line.Groups[2].Value);
            using var anonymous = new HttpClient { BaseAddress = new Uri(address) };
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/console/api/jobs")).StatusCode);
            using var authorized = new HttpClient { BaseAddress = new Uri(address) };
            authorized.DefaultRequestHeaders.Authorization = new("Bearer", token);
            string jobs = "";
            while (!jobs.Contains("\"train-console\"", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(90))
                jobs = await authorized.GetStringAsync("/console/api/jobs");
            Assert.Contains("\"name\":\"train-console\"", jobs);
        }
        finally
        {
            if (!train.HasExited) train.Kill(entireProcessTree: true);
        }

        string Text() { lock (output) return output.ToString(); }
    }

    [GeneratedRegex(@"web console: (http://127\.0\.0\.1:\d+)/console \(log in with the token ([0-9a-f]{32});")]
    private static partial Regex ConsoleLine();
}
