using System.Globalization;
using Athanor.Configuration;
using Athanor.Estimation;
using Athanor.Models;

namespace Athanor.Jobs;

/// <summary>
/// The memory planner's verdict on a GPU job before any GPU memory is touched: the per-GPU peak it predicts for
/// the job's model, method, ZeRO stage, world size, micro-batch and sequence length, against the device's memory.
/// A job that cannot fit stops with the numbers and the nearest configuration that would, in job-file keys.
/// </summary>
public static class JobMemoryCheck
{
    /// <summary>The plan the planner sees for a job running at world size world.</summary>
    public static TrainingPlan PlanFor(JobConfig config, int world) => new()
    {
        Method = config.FinetuningType == FinetuningType.Full ? FineTuningMethod.Full
            : config.IsQuantized ? FineTuningMethod.Qlora : FineTuningMethod.Lora, // QLoRA (issue 22): a 4-bit base
        LoraRank = config.LoraRank,
        ZeroStage = config.ZeroStage,
        Gpus = world,
        Batch = config.PerDeviceTrainBatchSize,
        Accumulation = config.GradientAccumulationSteps,
        Sequence = config.CutoffLen,
        GradientCheckpointing = config.CheckpointInterval > 0,
        GradientBytes = config.Bf16 ? 2 : 4,
        Offload = config.OffloadOptimizer,
    };

    public static MemoryEstimate Estimate(JobConfig config, ModelConfig model, int world) =>
        MemoryEstimator.Estimate(Spec(config, model), PlanFor(config, world));

    /// <summary>Logs the prediction (with a warning when it leaves little headroom); throws <see cref="JobException"/> when it exceeds deviceBytes.</summary>
    public static void Verify(JobConfig config, ModelConfig model, int world, double deviceBytes, string device, Action<string>? log = null)
    {
        var spec = Spec(config, model);
        var plan = PlanFor(config, world);
        var estimate = MemoryEstimator.Estimate(spec, plan);
        string Gb(double bytes) => (bytes / 1e9).ToString("0.0", CultureInfo.InvariantCulture);
        string breakdown = $"weights {Gb(estimate.WeightBytes)}, gradients {Gb(estimate.GradientBytes)}, optimizer {Gb(estimate.OptimizerBytes)}, " +
            $"buffers {Gb(estimate.OptimizerBufferBytes + estimate.GatherBytes + estimate.WorkspaceBytes)}, activations and working set {Gb(estimate.ActivationBytes + estimate.WorkingBytes)} GB";
        log?.Invoke($"memory plan: {Gb(estimate.TotalBytes)} GB per GPU predicted ({breakdown}); {device} has {Gb(deviceBytes)} GB");
        if (estimate.Fits(deviceBytes))
        {
            if (estimate.TotalBytes > PlanRecommender.HeadroomShare * deviceBytes)
                log?.Invoke($"warning: the plan uses {(100 * estimate.TotalBytes / deviceBytes).ToString("0", CultureInfo.InvariantCulture)}% of {device}; a GPU also holds the allocator's reserve and " +
                    "the CUDA and NCCL contexts (3-10% more in measured runs), so this job may run out of memory. Headroom: " +
                    (config.CheckpointInterval == 0 ? "gradient_checkpointing: true, or " : "") + "a smaller per_device_train_batch_size with more accumulation");
            return;
        }
        // Only what the trainer can do: offload only at stage 3. (A 4-bit base is not advised yet: the recommender would
        // prefer it over gradient checkpointing, which changes the model's numbers.)
        var advice = PlanRecommender.RecommendWithHeadroom(spec, plan, deviceBytes, allowOffload: plan.ZeroStage == 3, allowQlora: false);
        string nearest = advice.Fits
            ? "The nearest configuration that fits: " + string.Join(", ", advice.Changes.Select(JobKeys)) +
              FormattableString.Invariant($" ({advice.Estimate.TotalBytes / 1e9:0.0} GB per GPU)")
            : "No configuration the planner tried fits on this GPU; use GPUs with more memory";
        throw new JobException($"this job needs about {Gb(estimate.TotalBytes)} GB per GPU ({breakdown}) but {device} has {Gb(deviceBytes)} GB: " +
            $"it would run out of memory. {nearest}. `cluster estimate` shows the same numbers.");
    }

    private static ModelSpec Spec(JobConfig config, ModelConfig model) =>
        new(config.ModelNameOrPath, $"{model.ModelType} from {config.ModelNameOrPath}", ModelShape.FromConfig(model), model.ParameterCount(), ShapeInferred: false);

    /// <summary>A planner change as the job-file keys that make it (the planner speaks in `cluster estimate` flags).</summary>
    private static string JobKeys(string change)
    {
        var words = change.Split(' ');
        return words[0] switch
        {
            "--zero" => $"zero_stage: {words[1]}",
            "--grad-ckpt" => "gradient_checkpointing: true",
            "--batch" => $"per_device_train_batch_size: {words[1]} (with gradient_accumulation_steps raised to keep the global batch)",
            "--gpus" => $"world_size: {words[1]}",
            "--offload" => "offload_optimizer: true",
            "--method" => words[1] == "full" ? "finetuning_type: full"
                : $"finetuning_type: lora{(words[1] == "qlora" ? ", quantization_bit: 4" : "")}{(words.Length > 3 ? $", lora_rank: {words[3]}" : "")}",
            _ => change,
        };
    }
}
