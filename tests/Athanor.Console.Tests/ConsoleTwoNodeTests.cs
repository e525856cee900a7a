using Athanor.Cluster.Tests;

namespace Athanor.Console.Tests;

/// <summary>
/// Two real nodes (one CPU slot each, one journal) and the console of the first: a job of world size 2 holds a slot on
/// each member, and the cluster page shows, per member, which job's rank holds its slot; cancelled, both show free.
/// </summary>
public sealed class ConsoleTwoNodeTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly ConsoleNode _console = new();
    private NodeProcess _second = null!;

    public async Task InitializeAsync()
    {
        await _console.InitializeAsync();
        _second = new NodeProcess("second", NodeProcess.FreePort(), NodeProcess.FreePort(), [_console.Node.Seed], _console.Journal, _console.Folders);
        _second.WaitUntilServing(TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        _second?.Dispose();
        await _console.DisposeAsync();
    }

    [Fact]
    public async Task The_cluster_page_shows_which_job_holds_each_members_slot()
    {
        var page = await _console.LoggedInPage();
        await page.GotoAsync("/console/cluster");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#nodes tbody tr').length === 2", null, new() { Timeout = 60_000 });

        var submit = await page.Context.NewPageAsync();
        await submit.GotoAsync("/console/submit");
        await submit.FillAsync("#yaml", File.ReadAllText(_console.Folders.WriteJob("spread", maxSteps: 100000, saveSteps: 100000, worldSize: 2)));
        await submit.ClickAsync("#submit");
        await submit.WaitForURLAsync("**/console/jobs/*");
        var jobId = new Uri(submit.Url).Segments.Last();

        // Each member's row: its one slot busy with this job, ranks 0 and 1 between them.
        await page.WaitForFunctionAsync($"() => document.querySelectorAll(\"#nodes li.slot.busy[data-job='{jobId}']\").length === 2", null,
            new() { Timeout = (float)Patience.TotalMilliseconds });
        var slots = await page.Locator("#nodes li.slot.busy").AllInnerTextsAsync();
        Assert.Contains(slots, s => s.EndsWith("rank 0/2", StringComparison.Ordinal));
        Assert.Contains(slots, s => s.EndsWith("rank 1/2", StringComparison.Ordinal));
        foreach (var row in await page.Locator("#nodes tbody tr").AllAsync())
            Assert.Contains(jobId, await row.Locator("td").Last.InnerTextAsync()); // "running here" on both members
        await ConsolePages.Screenshot(page, "console-cluster-two-nodes");

        await submit.ClickAsync("#cancel");
        await submit.WaitForFunctionAsync("() => document.getElementById('job-state').textContent === 'cancelled'", null,
            new() { Timeout = (float)Patience.TotalMilliseconds });
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#nodes li.slot.free').length === 2", null,
            new() { Timeout = (float)Patience.TotalMilliseconds });
    }
}
