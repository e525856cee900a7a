using System.Text.Json.Nodes;
using Athanor.Node.Backend;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Athanor.WebConsole.Api;

/// <summary>
/// GET {api}/jobs/{id}/resources?offset=N: the MFU and GPU memory of each logged step (metrics.jsonl rows that have
/// them: GPU runs), from byte offset N on, and the offset to ask from next. The loss, lr, grad norm and tokens/s come
/// from the event stream instead; these two columns are not in the backend's events.
/// </summary>
public static class JobResourcesApi
{
    public static void Map(WebApplication app, string api) =>
        app.MapGet(api + "/jobs/{id}/resources", async (string id, long? offset, IJobBackend backend, JobFiles files, CancellationToken cancel) =>
        {
            if (!ConsoleJobId.IsValid(id)) return Results.BadRequest(new { error = "not a job id" });
            JobRecord job;
            try { job = await backend.GetAsync(id, cancel); }
            catch (JobNotFoundException ex) { return Results.NotFound(new { error = ex.Message }); }
            var (lines, next) = files.ReadMetrics(job, offset ?? 0);
            var rows = new List<object>();
            foreach (var line in lines)
            {
                JsonNode? row;
                try { row = JsonNode.Parse(line); }
                catch (System.Text.Json.JsonException) { continue; }
                if (row is not JsonObject o || o["step"] is null || (o["mfu"] is null && o["gpu_mem_gib"] is null)) continue;
                rows.Add(new { step = (int?)o["step"], mfu = (double?)o["mfu"], gpuMemGib = (double?)o["gpu_mem_gib"] });
            }
            return Results.Ok(new { rows, next });
        });
}
