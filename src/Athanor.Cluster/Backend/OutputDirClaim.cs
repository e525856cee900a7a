using System.Text.Json;
using System.Text.Json.Serialization;
using Athanor.Checkpoints;
using Athanor.IO;
using Athanor.Node.Backend;

namespace Athanor.Cluster.Backend;

/// <summary>
/// A job's output_dir belongs to that job. At submission the folder is claimed with a marker naming the job; a later
/// job is refused while a pending or running job owns the folder (whatever it sets), and refused when the folder holds
/// another job's outputs (its marker or its checkpoints) unless it sets overwrite_output_dir: true, or asks to continue
/// them (resume_from_checkpoint: auto or a folder: the user names what to continue, as after an interrupted `cluster train`).
/// </summary>
public static class OutputDirClaim
{
    public const string FileName = "athanor-job.json";

    private sealed record Marker([property: JsonPropertyName("job_id")] string JobId, [property: JsonPropertyName("claimed_utc")] DateTime ClaimedUtc);

    /// <summary>The job that claimed the folder last, or null.</summary>
    public static string? Owner(string outputDir)
    {
        var path = Path.Combine(outputDir, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<Marker>(File.ReadAllText(path))?.JobId; }
        catch (JsonException) { return null; }
    }

    /// <summary>Refuses with <see cref="JobStateConflictException"/> naming the owner when <paramref name="jobId"/> may not write there.</summary>
    /// <param name="resumes">the job sets resume_from_checkpoint: it continues what the folder holds</param>
    /// <param name="isLive">whether a job is still pending or running</param>
    public static async Task CheckAsync(string outputDir, string jobId, bool overwrite, bool resumes, Func<string, Task<bool>> isLive)
    {
        var owner = Owner(outputDir);
        if (owner is not null && owner != jobId && await isLive(owner).ConfigureAwait(false))
            throw new JobStateConflictException($"output_dir {outputDir} is in use by job {owner}, which is still pending or running; " +
                $"accepted: another output_dir, or cancel job {owner} first (overwrite_output_dir cannot take a folder from a live job)");
        if (!overwrite && !resumes)
        {
            if (owner is not null && owner != jobId)
                throw new JobStateConflictException($"output_dir {outputDir} holds the outputs of job {owner}; accepted: another output_dir, " +
                    "or overwrite_output_dir: true to start over there (its checkpoints are replaced, never resumed), or resume_from_checkpoint: auto to continue them");
            var foreign = new CheckpointStore(outputDir).CompleteWithOwners().Where(c => c.JobId != jobId).ToList();
            if (foreign.Count > 0)
            {
                var writer = foreign[^1].JobId is { } other ? $"job {other}" : "a run outside the cluster";
                throw new JobStateConflictException($"output_dir {outputDir} holds checkpoints of {writer} " +
                    $"({string.Join(", ", foreign.TakeLast(3).Select(c => Path.GetFileName(c.Folder)))}); accepted: another output_dir, " +
                    "or overwrite_output_dir: true to start over there (its checkpoints are replaced, never resumed), or resume_from_checkpoint: auto to continue them");
            }
        }
    }

    /// <summary>Marks the folder as the job's, once the job is accepted.</summary>
    public static void Claim(string outputDir, string jobId)
    {
        Directory.CreateDirectory(outputDir);
        DurableFile.WriteAllText(Path.Combine(outputDir, FileName), JsonSerializer.Serialize(new Marker(jobId, DateTime.UtcNow)));
    }
}
