using Athanor.Node.Backend;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Athanor.WebConsole.Api;

/// <summary>GET {api}/cluster: the members (roles, health, slots busy and free) and the summary, as ClusterService gives them.</summary>
public static class ClusterApi
{
    public sealed record NodeView(string Id, string Address, IReadOnlyList<string> Roles, string Health, int Slots, int BusySlots,
        IReadOnlyList<string> Devices, IReadOnlyList<string> RunningJobs);

    public static void Map(WebApplication app, string api) =>
        app.MapGet(api + "/cluster", async (IJobBackend backend, CancellationToken cancel) =>
        {
            var summary = await backend.GetClusterStatusAsync(cancel);
            var nodes = await Nodes(backend, cancel);
            return Results.Ok(new
            {
                summary.Coordinator, summary.Version, summary.Backend, summary.StartedAt, members = summary.Nodes, healthyMembers = summary.HealthyNodes,
                jobs = summary.JobsByState.ToDictionary(kv => JobView.StateName(kv.Key), kv => kv.Value),
                nodes,
            });
        });

    public static async Task<IReadOnlyList<NodeView>> Nodes(IJobBackend backend, CancellationToken cancel)
    {
        var nodes = await backend.ListNodesAsync(cancel);
        var running = await JobListing.AllAsync(backend, new HashSet<JobState> { JobState.Running }, cancel);
        return nodes.Select(n => new NodeView(n.Id, n.Address, n.Roles, n.Health.ToString().ToLowerInvariant(), n.Devices.Count, n.RunningJobs,
            n.Devices.Select(d => string.IsNullOrEmpty(d.Name) ? $"{d.Kind}:{d.Index}" : d.Name).ToList(),
            // The backend does not say which job holds which slot; with one member every running job is here.
            nodes.Count == 1 ? running.Select(j => j.Id).ToList() : [])).ToList();
    }
}
