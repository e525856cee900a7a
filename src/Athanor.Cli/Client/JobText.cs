using System.Globalization;
using System.Text;
using Athanor.Protocol.V1;

namespace Athanor.Cli.Client;

/// <summary>Jobs, events and nodes as text for people: aligned tables and one line per event.</summary>
public static class JobText
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>"Pending", "Running", ... as in docs and --json.</summary>
    public static string StateName(JobState state) => state == JobState.Unspecified ? "Unknown" : state.ToString();

    public static bool IsFinal(JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Cancelled;

    public static string Time(Google.Protobuf.WellKnownTypes.Timestamp? t) =>
        t is null ? "" : t.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss'Z'", Invariant);

    public static string Progress(Job job) =>
        job.MaxSteps > 0 ? $"{job.Step}/{job.MaxSteps} ({100.0 * job.Step / job.MaxSteps:F0}%)" : job.Step.ToString(Invariant);

    public static string Metrics(Metrics? m)
    {
        if (m is null) return "";
        var parts = new List<string>();
        if (m.HasLoss) parts.Add($"loss {m.Loss.ToString("F4", Invariant)}");
        if (m.HasLr) parts.Add($"lr {m.Lr.ToString("0.00e+00", Invariant)}");
        if (m.HasGradNorm) parts.Add($"grad_norm {m.GradNorm.ToString("F3", Invariant)}");
        if (m.HasTokensPerS) parts.Add($"tokens/s {m.TokensPerS.ToString("F0", Invariant)}");
        if (m.HasEvalLoss) parts.Add($"eval_loss {m.EvalLoss.ToString("F4", Invariant)}");
        if (m.HasEpoch) parts.Add($"epoch {m.Epoch.ToString("F2", Invariant)}");
        return string.Join("  ", parts);
    }

    /// <summary>`cluster status JOB`: one "field  value" per line.</summary>
    public static string Status(Job job)
    {
        var rows = new List<(string, string)>
        {
            ("job", job.Name.Length > 0 ? $"{job.Id} ({job.Name})" : job.Id),
            ("state", StateName(job.State)),
            ("step", Progress(job)),
            ("world size", job.WorldSize.ToString(Invariant)),
            ("attempts", job.Attempts.ToString(Invariant)),
            ("checkpoint", job.HasLastCheckpointStep ? $"step {job.LastCheckpointStep}" : "none yet"),
            ("metrics", Metrics(job.Metrics) is { Length: > 0 } m ? m : "none yet"),
            ("created", Time(job.CreatedAt)),
            ("updated", Time(job.UpdatedAt)),
            ("output", job.OutputDir),
        };
        if (job.WaitingReason.Length > 0) rows.Add(("waiting", job.WaitingReason));
        if (job.Error.Length > 0) rows.Add(("error", job.Error));
        return string.Join('\n', rows.Select(r => $"{r.Item1,-11}{r.Item2}"));
    }

    /// <summary>`cluster list`: a table, newest first.</summary>
    public static string JobTable(IReadOnlyList<Job> jobs) => Table(["ID", "NAME", "STATE", "STEP", "LOSS", "UPDATED"],
        jobs.Select(j => new[]
        {
            j.Id, j.Name, StateName(j.State), j.MaxSteps > 0 ? $"{j.Step}/{j.MaxSteps}" : j.Step.ToString(Invariant),
            j.Metrics?.HasLoss == true ? j.Metrics.Loss.ToString("F4", Invariant) : "-", Time(j.UpdatedAt),
        }));

    /// <summary>`cluster nodes`: a table.</summary>
    public static string NodeTable(IReadOnlyList<Athanor.Protocol.V1.Node> nodes) => Table(["ID", "ADDRESS", "ROLES", "HEALTH", "DEVICES", "RUNNING"],
        nodes.Select(n => new[]
        {
            n.Id, n.Address, string.Join(',', n.Roles), n.Health.ToString(),
            string.Join(", ", n.Devices.Select(d => $"{d.Kind}:{d.Index} {d.Name} {d.MemoryBytes / (1024.0 * 1024 * 1024):F0} GiB")),
            n.RunningJobs.ToString(Invariant),
        }));

    /// <summary>One event as one line (for `logs` and `submit --follow`).</summary>
    public static string Event(JobEvent e)
    {
        var time = e.Time?.ToDateTimeOffset().ToLocalTime().ToString("HH:mm:ss", Invariant) ?? "";
        var text = e.KindCase switch
        {
            JobEvent.KindOneofCase.StateChanged => e.StateChanged.Error.Length > 0
                ? $"state {StateName(e.StateChanged.State)}: {e.StateChanged.Error}"
                : $"state {StateName(e.StateChanged.State)}",
            JobEvent.KindOneofCase.Step => $"step {e.Step.Step,6}/{e.Step.MaxSteps}  {Metrics(e.Step.Metrics)}",
            JobEvent.KindOneofCase.Eval => $"eval at step {e.Eval.Step}: eval_loss {e.Eval.EvalLoss.ToString("F4", Invariant)}{(e.Eval.IsBest ? " (best so far)" : "")}",
            JobEvent.KindOneofCase.Checkpoint => $"checkpoint at step {e.Checkpoint.Step}: {e.Checkpoint.Path}",
            JobEvent.KindOneofCase.Log => e.Log.Text,
            _ => "(an event this client does not know; update cluster)",
        };
        return $"{time} {text}";
    }

    private static string Table(string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, header.Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in all)
        {
            for (int c = 0; c < row.Length; c++)
            {
                if (c == row.Length - 1) text.Append(row[c]);
                else text.Append(row[c].PadRight(widths[c] + 2));
            }
            text.Append('\n');
        }
        return text.ToString().TrimEnd('\n');
    }
}
