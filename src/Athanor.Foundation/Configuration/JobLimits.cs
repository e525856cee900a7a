namespace Athanor.Configuration;

/// <summary>
/// The sane bounds of a job's sizes. Above them a value is a typo or an attack, never a run: the bounds keep every
/// product of them (the global batch, placement arithmetic) far from overflowing an int.
/// </summary>
public static class JobLimits
{
    /// <summary>The most ranks one job may ask for (world_size, min_world_size, max_world_size).</summary>
    public const int MaxWorldSize = 4096;

    /// <summary>The most micro-batches of one optimizer step on one rank.</summary>
    public const int MaxGradientAccumulationSteps = 1_000_000;

    /// <summary>The most samples of one micro-batch.</summary>
    public const int MaxPerDeviceBatchSize = 65_536;

    /// <summary>The most samples of one optimizer step over all ranks (per_device_train_batch_size x gradient_accumulation_steps x world_size).</summary>
    public const long MaxGlobalBatch = 16_777_216;

    /// <summary>The longest sequence in tokens (cutoff_len).</summary>
    public const int MaxCutoffLen = 1_048_576;

    /// <summary>The global batch in samples, without overflow whatever the inputs.</summary>
    public static long GlobalBatch(int perDevice, int accumulation, int worldSize) => (long)perDevice * accumulation * worldSize;
}
