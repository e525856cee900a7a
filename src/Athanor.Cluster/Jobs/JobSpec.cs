using Athanor.Cluster.Messages;
using Athanor.Configuration;

namespace Athanor.Cluster.Jobs;

/// <summary>Reads what the cluster needs from a submitted job file: validated config, placement requirements (the world sizes that divide the global batch), length.</summary>
public static class JobSpec
{
    public static JobConfig Parse(string yamlText, IReadOnlyList<string> overrides, string sourceName) =>
        JobConfigLoader.Parse(yamlText, sourceName, overrides, baseDirectory: null).Config;

    public static JobRequirements Requirements(JobConfig config)
    {
        var (min, max) = config.WorldRange;
        if (min < 1 || max < min || max > JobLimits.MaxWorldSize)
            throw new ConfigException("job", null, "max_world_size", $"the world size range [{min}, {max}] is outside [1, {JobLimits.MaxWorldSize}]");
        // Any world size that divides the global batch runs the same curve (each rank picks its micro-batch).
        long global = config.GlobalBatchSize;
        var valid = BatchSplit.ValidWorldSizes(global, min, max);
        if (valid.Length == 0)
            throw new ConfigException("job", null, "min_world_size", $"no world size in [{min}, {max}] splits the global batch of {global} samples");
        string kind = config.Device.StartsWith("cuda", StringComparison.Ordinal) ? "cuda" : "cpu";
        return new JobRequirements(valid.Min(), valid.Max(), valid, config.Priority, kind);
    }
}
