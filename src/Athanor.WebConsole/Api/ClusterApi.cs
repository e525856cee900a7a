using Athanor.Node.Backend;
using Athanor.WebConsole.Gpus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Athanor.WebConsole.Api;

/// <summary>
/// GET {api}/cluster: the members (roles, health, each slot busy with which job or free) and the summary, as the backend
/// gives them, and the GPUs of this node from NVML (absent on a CPU node, with the reason).
/// </summary>
public static class ClusterApi
{
    /// <summary>One slot of a member: free (Job null) or held by a job's rank.</summary>
    public sealed record SlotView(int Slot, string? Job, int? Rank, int? WorldSize);

    public sealed record NodeView(string Id, string Address, IReadOnlyList<string> Roles, string Health, int Slots, int BusySlots,
        IReadOnlyList<string> Devices, IReadOnlyList<string> RunningJobs, IReadOnlyList<SlotView> SlotViews);

    public sealed record GpuView(int Index, string Name, int UtilizationPercent, double MemoryUsedGib, double MemoryTotalGib, double? PowerWatts, int? TemperatureCelsius);

    public static void Map(WebApplication app, string api) =>
        app.MapGet(api + "/cluster", async (IJobBackend backend, LocalGpus gpus, CancellationToken cancel) =>
        {
            var summary = await backend.GetClusterStatusAsync(cancel);
            var nodes = await Nodes(backend, cancel);
            var reading = gpus.Read();
            return Results.Ok(new
            {
                summary.Coordinator, summary.Version, summary.Backend, summary.StartedAt, members = summary.Nodes, healthyMembers = summary.HealthyNodes,
                jobs = summary.JobsByState.ToDictionary(kv => JobView.StateName(kv.Key), kv => kv.Value),
                nodes,
                gpus = Gpus(reading),
                gpusAbsent = reading.Absent,
            });
        });

    public static IReadOnlyList<GpuView> Gpus(GpuReading reading) => reading.Gpus.Select(g => new GpuView(g.Index, g.Name, g.GpuUtilizationPercent,
        Math.Round(g.MemoryUsedBytes / (double)(1L << 30), 1), Math.Round(g.MemoryTotalBytes / (double)(1L << 30), 1), g.PowerWatts, g.TemperatureCelsius)).ToList();

    public static async Task<IReadOnlyList<NodeView>> Nodes(IJobBackend backend, CancellationToken cancel)
    {
        var nodes = await backend.ListNodesAsync(cancel);
        // A backend that does not say which job holds which slot: with one member every running job is there.
        List<string>? runningHere = nodes.Count == 1 && nodes[0].SlotUses is null
            ? (await JobListing.AllAsync(backend, new HashSet<JobState> { JobState.Running }, cancel)).Select(j => j.Id).ToList()
            : null;
        return nodes.Select(n =>
        {
            int slots = n.Devices.Count;
            var uses = n.SlotUses ?? [];
            var views = Enumerable.Range(0, slots).Select(s => uses.FirstOrDefault(u => u.Slot == s) is { } u
                ? new SlotView(s, u.JobId, u.Rank, u.WorldSize) : new SlotView(s, null, null, null)).ToList();
            return new NodeView(n.Id, n.Address, n.Roles, n.Health.ToString().ToLowerInvariant(), slots, n.RunningJobs,
                n.Devices.Select(d => string.IsNullOrEmpty(d.Name) ? $"{d.Kind}:{d.Index}" : d.Name).ToList(),
                runningHere ?? uses.Select(u => u.JobId).Distinct().ToList(), views);
        }).ToList();
    }
}
