using Athanor.Configuration;
using Athanor.Data;
using Athanor.Training;

namespace Athanor.Benchmarks;

/// <summary>
/// The benchmark as a job: the reference's recipe (AdamW with betas 0.9/0.95, weight decay 0.1, clipping at 1.0, a
/// constant learning rate of 3e-4, bf16 with fp32 master weights on GPUs, LoRA with alpha 2r on every projection)
/// written as the job settings `cluster train` would read, so the benchmark builds and steps the model exactly as a
/// job does. The data are random token rows of the sequence length, every position a target.
/// </summary>
public static class BenchJob
{
    public const int Seed = 1234;

    public static JobConfig Config(BenchOptions o, string outputDir) => new()
    {
        ModelNameOrPath = $"(bench preset {o.Preset})",
        Init = WeightInit.Random,
        FinetuningType = o.LoraRank > 0 ? FinetuningType.Lora : FinetuningType.Full,
        LoraRank = Math.Max(1, o.LoraRank),
        LoraAlpha = 2 * Math.Max(1, o.LoraRank),
        LoraTarget = "all",
        ZeroStage = o.Zero,
        WorldSize = o.World,
        Device = o.Device == "cpu" ? "cpu" : "cuda",
        Bf16 = o.Device != "cpu",
        CutoffLen = o.Seq,
        OutputDir = outputDir,
        OverwriteOutputDir = true,
        LoggingSteps = int.MaxValue,
        PerDeviceTrainBatchSize = o.Batch,
        GradientAccumulationSteps = 1,
        LearningRate = 3e-4,
        MaxSteps = o.Warmup + o.Steps,
        LrSchedulerType = LrSchedulerType.Constant,
        WeightDecay = 0.1,
        MaxGradNorm = 1.0,
        AdamBeta1 = 0.9,
        AdamBeta2 = 0.95,
        Seed = Seed,
        GradientCheckpointing = o.GradCkpt,
        FusedKernels = o.Fused,
        Zero3Prefetch = o.Zero3Prefetch,
        Zero3OverlapReduce = o.Zero3OverlapReduce,
        OverlapGradReduce = o.GradBucketMb is not null,
        GradBucketMb = o.GradBucketMb ?? 100,
        Fp8 = o.Fp8,
    };

    /// <summary>Rows of seq random tokens, enough for every step to see new ones; the same on every rank.</summary>
    public static TrainingData RandomTokens(BenchOptions o, int vocab)
    {
        var random = new Random(Seed);
        int rows = o.Batch * o.World * (o.Warmup + o.Steps);
        var samples = new List<TokenizedSample>(rows);
        for (int i = 0; i < rows; i++)
        {
            var ids = new int[o.Seq];
            for (int t = 0; t < ids.Length; t++) ids[t] = random.Next(vocab);
            samples.Add(new TokenizedSample(ids, ids));
        }
        return new TrainingData(samples, [], PadTokenId: 0);
    }
}
