using Athanor.Node.Backend;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Athanor.WebConsole.Api;

/// <summary>GET {api}/jobs?state=running,pending and GET {api}/jobs/{id}: what the jobs page polls (JSON).</summary>
public static class JobsApi
{
    public static void Map(WebApplication app, string api)
    {
        app.MapGet(api + "/jobs", async (string? state, IJobBackend backend, CancellationToken cancel) =>
        {
            var (states, error) = JobListing.ParseStates(state);
            if (states is null) return Results.BadRequest(new { error });
            var jobs = await JobListing.AllAsync(backend, states, cancel);
            return Results.Ok(new { jobs = jobs.Select(JobView.From) });
        });
        app.MapGet(api + "/jobs/{id}", async (string id, IJobBackend backend, CancellationToken cancel) =>
        {
            if (!ConsoleJobId.IsValid(id)) return Results.BadRequest(new { error = "not a job id" });
            try { return Results.Ok(JobView.From(await backend.GetAsync(id, cancel))); }
            catch (JobNotFoundException ex) { return Results.NotFound(new { error = ex.Message }); }
        });
    }
}
