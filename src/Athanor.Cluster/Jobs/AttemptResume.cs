using Athanor.Checkpoints;
using Athanor.Configuration;

namespace Athanor.Cluster.Jobs;

/// <summary>
/// Where an attempt of a job starts: the newest checkpoint this job wrote, else the checkpoint the job names
/// (resume_from_checkpoint: a folder), else the beginning. Checkpoints of other jobs in the same output_dir are never
/// taken (a job with overwrite_output_dir replaces them instead).
/// </summary>
public static class AttemptResume
{
    public static string? Choose(JobConfig config, string jobId) =>
        new CheckpointStore(config.OutputDir).LatestOf(jobId)
        ?? (config.ResumeFromCheckpoint is { } named && named != "auto" ? named : null);
}
