using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Athanor.Console.Tests;

/// <summary>
/// The console in Chromium against a real node: log in, submit a job from the form, watch its step and loss chart
/// advance, read its log, cancel a second job while the cluster page shows the node's slot busy and then free, and see
/// bad YAML refused at the key with nothing submitted.
/// </summary>
[Collection(ConsoleNodeCollection.Name)]
public sealed class ConsoleBrowserTests(ConsoleNode node)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_job_submitted_from_the_form_runs_and_its_loss_chart_gets_points()
    {
        var page = await node.LoggedInPage();
        var yaml = File.ReadAllText(node.Folders.WriteJob("form-job", maxSteps: 12, saveSteps: 6, worldSize: 1));
        int before = await JobCount();
        await page.GotoAsync("/console/submit");
        await page.FillAsync("#job-name", "from the form");
        await page.FillAsync("#yaml", yaml);
        await page.ClickAsync("#check");
        Assert.Contains("GB per GPU", await page.InnerTextAsync("#memory-estimate")); // the planner's estimate, before submitting
        Assert.Equal(before, await JobCount()); // checked, not submitted
        await page.ClickAsync("#submit");
        await page.WaitForURLAsync("**/console/jobs/*");

        // The chart fills from the event stream while the job runs; the step counter and the log follow.
        await page.WaitForFunctionAsync("() => window.athanorConsole && window.athanorConsole.points('loss') >= 12", null,
            new() { Timeout = (float)Patience.TotalMilliseconds });
        await page.WaitForFunctionAsync("() => document.getElementById('job-state').textContent === 'succeeded'", null,
            new() { Timeout = (float)Patience.TotalMilliseconds });
        Assert.Equal("12", await page.InnerTextAsync("#job-step"));
        var steps = await page.EvaluateAsync<int>("() => window.athanorConsole.points('loss')");
        Assert.Equal(12, steps); // one point per logged step, none twice
        Assert.Contains("attempt 1:", await page.InnerTextAsync("#log"));
        Assert.Contains("127.0.0.1", await page.InnerTextAsync("#attempts"));
        Assert.Contains("checkpoint-12", await page.InnerTextAsync("#checkpoints"));
        Assert.Contains("cluster export --checkpoint", await page.InnerTextAsync("#export-command"));

        // A reload replays the stream from the start: still exactly one point per step.
        await page.ReloadAsync();
        await page.WaitForFunctionAsync("() => window.athanorConsole && window.athanorConsole.points('loss') === 12", null, new() { Timeout = 30_000 });
        await page.WaitForTimeoutAsync(1000);
        Assert.Equal(12, await page.EvaluateAsync<int>("() => window.athanorConsole.points('loss')"));
        Assert.Contains("model_name_or_path", await page.InnerTextAsync("#config")); // the effective config, as written

        await Screenshot(page, "console-job");

        // A reconnecting EventSource sends Last-Event-ID: the stream resumes right after it, in order, without gaps.
        var jobId = new Uri(page.Url).Segments.Last();
        using var http = node.Http(withToken: true);
        var request = new HttpRequestMessage(HttpMethod.Get, $"/console/api/jobs/{jobId}/events");
        request.Headers.Add("Last-Event-ID", "5");
        var stream = await (await http.SendAsync(request)).Content.ReadAsStringAsync(); // ends after the final state
        var ids = Regex.Matches(stream, @"^id: (\d+)$", RegexOptions.Multiline).Select(m => long.Parse(m.Groups[1].Value)).ToList();
        Assert.True(ids.Count > 12, stream);
        Assert.Equal(Enumerable.Range(6, ids.Count).Select(i => (long)i), ids);
        Assert.EndsWith("event: end\ndata: {}\n\n", stream);

        await page.GotoAsync("/console/jobs");
        await page.WaitForSelectorAsync("#jobs tr[data-state='succeeded']");
        await Screenshot(page, "console-jobs");
    }

    [Fact]
    public async Task Cancel_from_the_job_page_and_the_slot_goes_busy_then_free()
    {
        var page = await node.LoggedInPage();
        var yaml = File.ReadAllText(node.Folders.WriteJob("long-job", maxSteps: 100000, saveSteps: 100000, worldSize: 1));
        await page.GotoAsync("/console/submit");
        await page.FillAsync("#yaml", yaml);
        await page.ClickAsync("#submit");
        await page.WaitForURLAsync("**/console/jobs/*");
        var jobUrl = page.Url;
        await page.WaitForFunctionAsync("() => window.athanorConsole && window.athanorConsole.points('loss') >= 2", null,
            new() { Timeout = (float)Patience.TotalMilliseconds });

        var cluster = await page.Context.NewPageAsync();
        await cluster.GotoAsync("/console/cluster");
        await cluster.WaitForFunctionAsync("() => document.querySelector('#nodes .busy').textContent === '1'", null, new() { Timeout = 30_000 });
        var jobId = new Uri(jobUrl).Segments.Last();
        await cluster.WaitForSelectorAsync($"#nodes li.slot.busy[data-slot='0'][data-job='{jobId}']"); // which job holds the slot
        // A CPU node has no NVML: the page says so instead of showing empty GPU rows.
        Assert.Contains("no NVML on this node", await cluster.InnerTextAsync("#gpus-absent"));
        Assert.Equal(0, await cluster.Locator("#gpus tbody tr").CountAsync());
        await Screenshot(cluster, "console-cluster");

        await page.ClickAsync("#cancel");
        await page.WaitForURLAsync(jobUrl + "**");
        await page.WaitForFunctionAsync("() => document.getElementById('job-state').textContent === 'cancelled'", null,
            new() { Timeout = (float)Patience.TotalMilliseconds });
        await cluster.WaitForFunctionAsync("() => document.querySelector('#nodes .busy').textContent === '0'", null, new() { Timeout = 60_000 });
        Assert.Equal("1", await cluster.InnerTextAsync("#nodes .free"));
        await cluster.WaitForSelectorAsync("#nodes li.slot.free[data-slot='0']");
    }

    [Fact]
    public async Task A_lost_connection_reconnects_and_catches_up_without_duplicating_chart_points()
    {
        var page = await node.LoggedInPage();
        await page.GotoAsync("/console/submit");
        await page.FillAsync("#yaml", File.ReadAllText(node.Folders.WriteJob("reconnect-job", maxSteps: 60, saveSteps: 60, worldSize: 1)));
        await page.ClickAsync("#submit");
        await page.WaitForURLAsync("**/console/jobs/*");
        await page.WaitForFunctionAsync("() => window.athanorConsole && window.athanorConsole.points('loss') >= 3", null,
            new() { Timeout = (float)Patience.TotalMilliseconds });

        // The connection is lost while the job keeps training: the open stream is reset, and for 3 s every new
        // connection is dropped too (the job page is opened through a relay the test controls).
        await using var relay = new TcpRelay(node.Node.HttpPort!.Value);
        var jobPath = new Uri(page.Url).AbsolutePath;
        await page.GotoAsync($"http://127.0.0.1:{relay.Port}{jobPath}"); // the session cookie is the host's, whatever the port
        await page.WaitForFunctionAsync("() => window.athanorConsole && window.athanorConsole.points('loss') >= 3", null,
            new() { Timeout = (float)Patience.TotalMilliseconds });
        relay.Cut(TimeSpan.FromSeconds(3));
        await page.WaitForFunctionAsync("() => document.getElementById('job-connection').textContent === 'reconnecting…'", null, new() { Timeout = 30_000 });
        int during = await page.EvaluateAsync<int>("() => window.athanorConsole.points('loss')");

        await page.WaitForFunctionAsync("() => document.getElementById('job-state').textContent === 'succeeded'", null,
            new() { Timeout = (float)Patience.TotalMilliseconds });
        Assert.True(during < 60, $"the outage began before the end ({during} points)");
        Assert.True(relay.Cuts >= 2, $"the open stream and at least one reconnection were cut ({relay.Cuts})");
        // Caught up: every step once, in order, none twice, none missing.
        var steps = await page.EvaluateAsync<int[]>("() => window.athanorConsole.steps('loss')");
        Assert.Equal(Enumerable.Range(1, 60), steps);
    }

    [Theory]
    [InlineData("learning_rate: 1.0e-2", "learning_rate: banana", "learning_rate")]
    [InlineData("max_steps:", "max_stepz: 3\nmax_steps:", "max_stepz")]
    [InlineData("output_dir:", "output_dir: /etc/athanor-outside\nx_output_dir:", "output_dir")]
    [InlineData("dataset: identity", "dataset: no_such_dataset", "dataset")]
    public async Task Bad_yaml_is_shown_at_the_key_and_nothing_is_submitted(string find, string replace, string key)
    {
        var page = await node.LoggedInPage();
        var yaml = File.ReadAllText(node.Folders.WriteJob("bad-" + key, maxSteps: 4, saveSteps: 4, worldSize: 1));
        // Replace only the first occurrence: the line that carries the key.
        int at = yaml.IndexOf(find, StringComparison.Ordinal);
        var bad = yaml[..at] + replace + yaml[(at + find.Length)..];
        if (key == "output_dir") bad = string.Join('\n', bad.Split('\n').Where(l => !l.StartsWith("x_output_dir:", StringComparison.Ordinal)));
        int before = await JobCount();
        await page.GotoAsync("/console/submit");
        await page.FillAsync("#yaml", bad);
        await page.ClickAsync("#submit");
        var error = page.Locator($".field-error[data-key='{key}']");
        await error.WaitForAsync();
        Assert.Contains(key, await error.InnerTextAsync());
        Assert.Equal(1, await page.Locator("#yaml-lines li.bad").CountAsync()); // the offending line is marked
        Assert.Contains("/console/submit", page.Url);
        Assert.Equal(bad.Replace("\r\n", "\n"), (await page.InputValueAsync("#yaml")).Replace("\r\n", "\n")); // nothing typed is lost
        Assert.Equal(before, await JobCount());
        if (key == "learning_rate") await Screenshot(page, "console-submit-error");
    }

    [Fact]
    public async Task Malformed_yaml_is_refused_at_the_config()
    {
        var page = await node.LoggedInPage();
        await page.GotoAsync("/console/submit");
        await page.FillAsync("#yaml", "model_name_or_path: [unclosed\nmax_steps: 3\n");
        await page.ClickAsync("#check");
        var error = page.Locator(".field-error[data-field='config_yaml']");
        await error.WaitForAsync();
        Assert.Contains("YAML", await error.InnerTextAsync());
    }

    private static Task Screenshot(IPage page, string name) => ConsolePages.Screenshot(page, name);

    private Task<int> JobCount() => ConsolePages.JobCount(node);
}
