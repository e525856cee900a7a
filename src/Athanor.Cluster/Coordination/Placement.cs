using Athanor.Cluster.Messages;

namespace Athanor.Cluster.Coordination;

/// <summary>A placement for one waiting job: every rank's node and slot (gang scheduling: all ranks or none).</summary>
public sealed record Proposal(string JobId, RankPlacement[] Placement);

/// <summary>A waiting job that does not fit now, and why (for its log and `cluster status`).</summary>
public sealed record WaitNote(string JobId, int Attempts, string Note);

/// <summary>What one placement pass decided.</summary>
public sealed record PlacementRound(IReadOnlyList<Proposal> Proposals, IReadOnlyList<WaitNote> Waiting)
{
    public static PlacementRound None { get; } = new([], []);
}

/// <summary>A running attempt to stop at a step boundary so the job re-forms on more workers.</summary>
public sealed record Growth(string JobId, int Attempt, int From, int To);

/// <summary>What has waited too long: groups that never formed, nodes that went silent.</summary>
public sealed record Overdue(IReadOnlyList<RunningJob> UnformedGroups, IReadOnlyList<WorkerNode> SilentNodes);

/// <summary>
/// The coordinator's placement policy as pure functions of an <see cref="Inventory"/> and the time: no actor, no
/// clock of its own, so every rule is unit-tested on snapshots. The coordinator applies what they decide.
/// </summary>
public static class Placement
{
    /// <summary>
    /// Places waiting jobs, highest priority first, then the oldest submission: each on the largest world size it can
    /// run on that fits the free slots of live nodes of its device kind, all ranks at once or not at all. Nodes are
    /// filled in address order, slots in order; slots given to one job in this pass are not offered to the next.
    /// </summary>
    public static PlacementRound Place(Inventory inventory, DateTimeOffset now, CoordinatorSettings settings)
    {
        // Right after a group broke, give its live nodes a moment (they announce every 2 s) so the job re-forms as
        // large as it can at once instead of small and then grown.
        if (inventory.Nodes.Any(n => n.SuspectSince is { } since && now - since < settings.SuspectGrace)) return PlacementRound.None;
        var free = inventory.Nodes.ToDictionary(n => n.Address, n => new Queue<int>(n.FreeSlots));
        var running = inventory.Running.Select(r => r.JobId).ToHashSet();
        var proposals = new List<Proposal>();
        var waiting = new List<WaitNote>();
        foreach (var job in inventory.Pending.OrderByDescending(j => j.Requirements.Priority).ThenBy(j => j.SubmittedUtc)
                     .ThenBy(j => j.JobId, StringComparer.Ordinal))
        {
            if (job.Proposed || running.Contains(job.JobId)) continue;
            // Ranks of the job on an unreachable node may still be running (cut off, not dead): a second copy of the job
            // must not start until the split-brain resolver has downed that node (it then aborts its ranks and exits).
            if (inventory.Nodes.Any(n => n.Unreachable && n.Holds(job.JobId))) continue;
            // Ranks of the job's previous attempt still winding down on live nodes (a graceful stop for a rescale takes a
            // step and a checkpoint): wait for their slots, or the job re-forms as small as before and the growth repeats.
            // A rank that never reports is not waited for beyond OwnRanksWait.
            if (inventory.Nodes.Any(n => n.SuspectSince is null && n.Holds(job.JobId)) && now - job.WaitingSince < settings.OwnRanksWait) continue;
            var nodes = inventory.Nodes.Where(n => n.Kind == job.Requirements.DeviceKind && n.SuspectSince is null && !n.Unreachable)
                .OrderBy(n => n.Address, StringComparer.Ordinal).ToList();
            int freeSlots = nodes.Sum(n => free[n.Address].Count);
            int world = job.Requirements.ValidWorlds.Where(w => w <= freeSlots).DefaultIfEmpty(0).Max();
            if (world == 0)
            {
                waiting.Add(new WaitNote(job.JobId, job.Attempts, WaitingNote(job.Requirements, freeSlots, nodes.Sum(n => (long)n.Slots))));
                continue;
            }
            var placement = new List<RankPlacement>(world);
            foreach (var n in nodes)
                while (placement.Count < world && free[n.Address].TryDequeue(out int slot))
                    placement.Add(new RankPlacement(placement.Count, n.Address, slot));
            proposals.Add(new Proposal(job.JobId, placement.ToArray()));
        }
        return new PlacementRound(proposals, waiting);
    }

    /// <summary>
    /// Running attempts below their largest world size that can grow onto free slots, once no job waits and each has run
    /// <see cref="CoordinatorSettings.MinRunBeforeRescale"/>: each grows to the largest valid size it fits (slots claimed by
    /// one growth are not offered to the next). Attempts the coordinator learned from their ranks alone (no requirements) stay.
    /// </summary>
    public static IReadOnlyList<Growth> Grow(Inventory inventory, DateTimeOffset now, CoordinatorSettings settings)
    {
        if (inventory.Pending.Count > 0) return []; // waiting jobs come first
        var free = inventory.Nodes.Where(n => !n.Unreachable).GroupBy(n => n.Kind).ToDictionary(g => g.Key, g => g.Sum(n => n.FreeCount));
        var growths = new List<Growth>();
        foreach (var a in inventory.Running.OrderBy(a => a.JobId, StringComparer.Ordinal))
        {
            if (a is not { Formed: true, Stopping: false, Requirements: { } r } || now - a.StartedAt < settings.MinRunBeforeRescale) continue;
            int available = free.GetValueOrDefault(r.DeviceKind);
            int bigger = r.ValidWorlds.Where(w => w > a.World && w <= a.World + available).DefaultIfEmpty(0).Max();
            if (bigger == 0) continue;
            free[r.DeviceKind] = available - (bigger - a.World);
            growths.Add(new Growth(a.JobId, a.Attempt, a.World, bigger));
        }
        return growths;
    }

    /// <summary>Groups that did not form within <see cref="CoordinatorSettings.GroupFormTimeout"/>, and nodes silent for longer than <see cref="CoordinatorSettings.NodeTimeout"/>.</summary>
    public static Overdue FindOverdue(Inventory inventory, DateTimeOffset now, CoordinatorSettings settings) => new(
        inventory.Running.Where(a => !a.Formed && !a.Stopping && now - a.StartedAt > settings.GroupFormTimeout).ToList(),
        inventory.Nodes.Where(n => now - n.LastSeen > settings.NodeTimeout).ToList());

    /// <summary>The running attempts with a rank on the node: a lost node shrinks them (they stop and re-form on the rest).</summary>
    public static IReadOnlyList<RunningJob> AttemptsOn(Inventory inventory, string address) =>
        inventory.Running.Where(a => a.Placement.Any(p => p.NodeAddress == address)).ToList();

    /// <summary>Why a job does not fit: the world sizes it can run on, and what the cluster has free.</summary>
    public static string WaitingNote(JobRequirements r, int free, long total)
    {
        int smallest = r.ValidWorlds.Length > 0 ? r.ValidWorlds.Min() : r.MinWorld;
        var sizes = r.ValidWorlds.Length > 1 ? $" (it can run on {string.Join(", ", r.ValidWorlds.Take(12))} workers)" : "";
        return $"waiting for workers: needs at least {smallest} free {r.DeviceKind} slot(s){sizes}, the cluster has {free} free of {total}";
    }
}
