using Athanor.Node.Backend;
using Athanor.WebConsole.Api;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Athanor.WebConsole.Pages;

/// <summary>Every job, newest first, filtered by state; console.js keeps the table live from /console/api/jobs.</summary>
public sealed class JobsModel(IJobBackend backend) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string State { get; set; } = "";

    public IReadOnlyList<JobView> Jobs { get; private set; } = [];

    public string? Error { get; private set; }

    public async Task OnGetAsync(CancellationToken cancel)
    {
        var (states, error) = JobListing.ParseStates(State);
        if (states is null) { Error = error; State = ""; Response.StatusCode = 400; return; }
        Jobs = (await JobListing.AllAsync(backend, states, cancel)).Select(JobView.From).ToList();
    }
}
