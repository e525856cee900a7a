using Athanor.Node.Backend;
using Google.Protobuf.WellKnownTypes;
using Proto = Athanor.Protocol.V1;

namespace Athanor.Node.Services;

/// <summary>Backend records to protocol messages and back.</summary>
public static class ProtoMapping
{
    public static Proto.JobState ToProto(this JobState state) => state switch
    {
        JobState.Pending => Proto.JobState.Pending,
        JobState.Running => Proto.JobState.Running,
        JobState.Succeeded => Proto.JobState.Succeeded,
        JobState.Failed => Proto.JobState.Failed,
        JobState.Cancelled => Proto.JobState.Cancelled,
        _ => Proto.JobState.Unspecified,
    };

    public static JobState? FromProto(Proto.JobState state) => state switch
    {
        Proto.JobState.Pending => JobState.Pending,
        Proto.JobState.Running => JobState.Running,
        Proto.JobState.Succeeded => JobState.Succeeded,
        Proto.JobState.Failed => JobState.Failed,
        Proto.JobState.Cancelled => JobState.Cancelled,
        _ => null,
    };

    public static Proto.Metrics ToProto(this JobMetrics m)
    {
        var p = new Proto.Metrics();
        if (m.Loss is double loss) p.Loss = loss;
        if (m.LearningRate is double lr) p.Lr = lr;
        if (m.GradNorm is double g) p.GradNorm = g;
        if (m.TokensPerSecond is double t) p.TokensPerS = t;
        if (m.EvalLoss is double e) p.EvalLoss = e;
        if (m.Epoch is double ep) p.Epoch = ep;
        return p;
    }

    public static Proto.Job ToProto(this JobRecord r)
    {
        var job = new Proto.Job
        {
            Id = r.Id,
            Name = r.Name,
            State = r.State.ToProto(),
            Step = r.Step,
            MaxSteps = r.MaxSteps,
            WorldSize = r.WorldSize,
            Attempts = r.Attempts,
            Metrics = r.Metrics.ToProto(),
            CreatedAt = Timestamp.FromDateTimeOffset(r.CreatedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(r.UpdatedAt),
            Error = r.Error ?? "",
            OutputDir = r.OutputDir,
            LastSequence = r.LastSequence,
            WaitingReason = r.WaitingReason ?? "",
        };
        if (r.LastCheckpointStep is int step) job.LastCheckpointStep = step;
        return job;
    }

    public static Proto.JobEvent ToProto(this JobEvent e)
    {
        var p = new Proto.JobEvent { Sequence = e.Sequence, Time = Timestamp.FromDateTimeOffset(e.Time), JobId = e.JobId };
        switch (e)
        {
            case JobStateChanged s: p.StateChanged = new Proto.StateChanged { State = s.State.ToProto(), Error = s.Error ?? "" }; break;
            case JobStepReported s: p.Step = new Proto.StepReported { Step = s.Step, MaxSteps = s.MaxSteps, Metrics = s.Metrics.ToProto() }; break;
            case JobEvalReported v: p.Eval = new Proto.EvalReported { Step = v.Step, EvalLoss = v.EvalLoss, IsBest = v.IsBest }; break;
            case JobLogLine l: p.Log = new Proto.LogLine { Text = l.Text }; break;
            case JobCheckpointSaved c: p.Checkpoint = new Proto.CheckpointSaved { Step = c.Step, Path = c.Path }; break;
        }
        return p;
    }

    public static Proto.Node ToProto(this NodeInfo n)
    {
        var p = new Proto.Node
        {
            Id = n.Id,
            Address = n.Address,
            Health = n.Health switch
            {
                NodeHealthState.Healthy => Proto.NodeHealth.Healthy,
                NodeHealthState.Degraded => Proto.NodeHealth.Degraded,
                _ => Proto.NodeHealth.Unreachable,
            },
            JoinedAt = Timestamp.FromDateTimeOffset(n.JoinedAt),
            RunningJobs = n.RunningJobs,
        };
        p.Roles.AddRange(n.Roles);
        p.Devices.AddRange(n.Devices.Select(d => new Proto.Device { Kind = d.Kind, Index = d.Index, Name = d.Name, MemoryBytes = d.MemoryBytes }));
        return p;
    }

    public static Proto.ClusterStatus ToProto(this ClusterSummary s) => new()
    {
        Nodes = s.Nodes,
        HealthyNodes = s.HealthyNodes,
        PendingJobs = s.JobsByState.GetValueOrDefault(JobState.Pending),
        RunningJobs = s.JobsByState.GetValueOrDefault(JobState.Running),
        SucceededJobs = s.JobsByState.GetValueOrDefault(JobState.Succeeded),
        FailedJobs = s.JobsByState.GetValueOrDefault(JobState.Failed),
        CancelledJobs = s.JobsByState.GetValueOrDefault(JobState.Cancelled),
        Coordinator = s.Coordinator,
        Version = s.Version,
        StartedAt = Timestamp.FromDateTimeOffset(s.StartedAt),
        Backend = s.Backend,
    };
}
