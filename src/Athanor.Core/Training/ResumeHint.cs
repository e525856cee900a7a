using Athanor.Configuration;

namespace Athanor.Training;

/// <summary>What to set so a run keeps a checkpoint's global batch: only values that are accepted and that multiply out to it.</summary>
public static class ResumeHint
{
    /// <summary>"e.g. gradient_accumulation_steps 3", or another micro-batch, or the world sizes that can keep it.</summary>
    public static string KeepGlobalBatch(int savedGlobalBatch, int microBatch, int worldSize)
    {
        if (savedGlobalBatch < 1) return "the checkpoint's global batch is not valid";
        if (worldSize >= 1 && savedGlobalBatch % worldSize == 0)
        {
            int share = savedGlobalBatch / worldSize;
            if (microBatch >= 1 && share % microBatch == 0)
                return $"e.g. gradient_accumulation_steps {share / microBatch}";
            int micro = BatchSplit.MicroBatch(savedGlobalBatch, worldSize, microBatch);
            return $"e.g. per_device_train_batch_size {micro} with gradient_accumulation_steps {share / micro}";
        }
        var worlds = BatchSplit.ValidWorldSizes(savedGlobalBatch, 1, (int)Math.Min(savedGlobalBatch, JobLimits.MaxWorldSize));
        return $"world size {worldSize} cannot split {savedGlobalBatch} samples; world sizes that can: {BatchSplit.List(worlds)}";
    }
}
