using Athanor.Configuration;
using Athanor.Training;

namespace Athanor.Jobs;

/// <summary>What to change when a job runs out of GPU memory, in the job's own keys, most effective first.</summary>
public static class OutOfMemoryAdvice
{
    public static string Explain(JobConfig config, int worldSize, DeviceOutOfMemoryException ex)
    {
        var knobs = new List<string>();
        if (!config.GradientCheckpointing) knobs.Add("gradient_checkpointing: true (keeps one input per layer instead of its activations)");
        else if (config.GradientCheckpointingEvery > 1) knobs.Add("gradient_checkpointing_every: 1 (checkpoint every layer)");
        if (config.PerDeviceTrainBatchSize > 1)
            knobs.Add($"per_device_train_batch_size: {config.PerDeviceTrainBatchSize / 2} with gradient_accumulation_steps: {config.GradientAccumulationSteps * 2} (same global batch)");
        if (worldSize > 1 && config.ZeroStage < 2) knobs.Add($"zero_stage: 2 (shards gradients and optimizer state over the {worldSize} ranks)");
        if (config.FinetuningType == FinetuningType.Full) knobs.Add("finetuning_type: lora (no gradients or optimizer state for the base weights)");
        knobs.Add($"cutoff_len: {Math.Max(128, config.CutoffLen / 2)} (shorter samples)");
        return $"{ex.Message}. Try, in this order: {string.Join("; ", knobs)}. `cluster estimate` predicts the memory of each choice";
    }
}
