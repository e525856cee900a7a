using Athanor.Configuration;
namespace Athanor.Training;

/// <summary>Everything the training loop needs, already validated (mapped from a job's config in one place).</summary>
public sealed record TrainerSettings
{
    public required string OutputDir { get; init; }
    public int MicroBatchSize { get; init; } = 1;
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Data-parallel workers; the global batch is MicroBatchSize * GradientAccumulation * WorldSize.</summary>
    public int WorldSize { get; init; } = 1;
    /// <summary>ZeRO stage: 0 replicates optimizer state, 1 shards it, 2 also shards gradients.</summary>
    public int ZeroStage { get; init; }
    /// <summary>
    /// ZeRO-3: which decoder layers recompute in backward instead of keeping their activations (activation checkpointing's
    /// interval: 1 every layer, k every k-th, 0 none; the others are gathered again for backward, as FSDP does).
    /// </summary>
    public int Zero3RecomputeEvery { get; init; } = 1;
    /// <summary>ZeRO-3: master weights and Adam moments in host memory, the update on the CPU.</summary>
    public bool OffloadOptimizer { get; init; }
    /// <summary>The job's switches of what ranks compute and exchange (fused kernels, ZeRO-3 overlap, gradient buckets).</summary>
    public ComputeSwitches Switches { get; init; } = ComputeSwitches.Default;
    public double LearningRate { get; init; } = 5e-5;
    public double Epochs { get; init; } = 3;
    /// <summary>When positive, the run length in optimizer steps (wins over Epochs).</summary>
    public int MaxSteps { get; init; } = -1;
    public LrSchedulerType Schedule { get; init; } = LrSchedulerType.Linear;
    public int WarmupSteps { get; init; }
    public double WarmupRatio { get; init; }
    public double WeightDecay { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    public long Seed { get; init; } = 42;
    public int LoggingSteps { get; init; } = 10;
    /// <summary>The folder the leader adds a TensorBoard event file of the logged rows to (report_to: tensorboard); null for none.</summary>
    public string? TensorBoardDir { get; init; }
    public bool LoggingFirstStep { get; init; }
    public int SaveSteps { get; init; } = 500;
    public int? SaveTotalLimit { get; init; }
    /// <summary>false writes no checkpoint at all, not even the last (benchmarks: only the steps count).</summary>
    public bool SaveCheckpoints { get; init; } = true;
    /// <summary>
    /// The loss through <see cref="LmHeadCrossEntropy"/>, chunked so the fp32 logits never exist whole; false computes
    /// full fp32 logits and libtorch's cross_entropy, as plain PyTorch trainers do (A/B benchmarks).
    /// </summary>
    public bool ChunkedLoss { get; init; } = true;
    /// <summary>Checkpoints without optimizer state (weights, trainer state and RNG only): a fraction of the size.</summary>
    public bool SaveOnlyModel { get; init; }
    public int? EvalSteps { get; init; }
    public int EvalBatchSize { get; init; } = 1;
    /// <summary>Evaluations without a new best eval loss before training stops; null disables early stopping.</summary>
    public int? EarlyStoppingPatience { get; init; }
    /// <summary>null, "auto" or a checkpoint folder.</summary>
    public string? ResumeFrom { get; init; }
    /// <summary>Start over in an output folder that holds an earlier run's checkpoints (they are replaced as new ones are written).</summary>
    public bool OverwriteOutputDir { get; init; }
    /// <summary>The cluster job this run is an attempt of: recorded in its checkpoints, and "auto" resumes only its own.</summary>
    public string? JobId { get; init; }
    /// <summary>Written into the adapter config so PEFT knows the base.</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary>Stages dpo and kto (issue 23): the preference loss the samples (pair rows) train with; null for sft and pt.</summary>
    public Preference.PreferenceSettings? Preference { get; init; }

    public int GlobalBatch => MicroBatchSize * GradientAccumulation * WorldSize;

    public int TotalSteps(long trainSamples) => MaxSteps > 0
        ? MaxSteps
        : Math.Max(1, (int)Math.Ceiling(Epochs * trainSamples / GlobalBatch));
}
