using Athanor.Kernels;
using System.Diagnostics;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Native;
using Athanor.Parallel;
using Athanor.Parallel.Sharding;
using Athanor.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Benchmarks;

/// <summary>
/// Training steps on random tokens with exactly the shapes, recipe and FLOP count of
/// shared/reference/torch_llama_bench.py: bf16 compute with fp32 master weights and AdamW state on a GPU
/// (fp32 on CPU), betas (0.9, 0.95), weight decay 0.1, clipping at 1.0, fp32 loss, mean over tokens.
/// The step is the trainer's: the same model, checkpointing, loss and optimizer code. With several ranks
/// (threads of this process, one GPU each, NCCL between them) it is data-parallel like the reference under
/// torchrun: each rank its own batch, gradients reduced, ZeRO stage as asked.
/// </summary>
public static class TrainingBenchmark
{
    public static BenchResult Run(BenchOptions o, Action<string>? log = null)
    {
        bool onGpu = o.Device.StartsWith("cuda", StringComparison.Ordinal);
        if (onGpu) TorchRuntime.InitializeCuda(); else TorchRuntime.Initialize();
        if (o.World < 1) throw new ArgumentException($"world size {o.World}: need at least 1 rank");
        if (o.World == 1) return RunRank(o, new SingleRankCollective(), FirstDevice(o), log);
        if (onGpu && o.Device != "cuda")
            throw new ArgumentException($"--world {o.World} puts one rank on each GPU: use --device cuda, not {o.Device}");
        if (onGpu && cuda.device_count() < o.World)
            throw new ArgumentException($"--world {o.World} needs {o.World} GPUs; this machine has {cuda.device_count()}");

        var group = new LocalGroup(o.World, TimeSpan.FromMinutes(2));
        var results = new BenchResult?[o.World];
        var errors = new Exception?[o.World];
        var threads = Enumerable.Range(0, o.World).Select(rank => new Thread(() =>
        {
            try
            {
                var device = onGpu ? new Device(DeviceType.CUDA, rank) : CPU;
                ICollective collective = group.Join(rank);
                if (onGpu) collective = GpuGroup.Form(collective, rank, TimeSpan.FromMinutes(5));
                using (collective) results[rank] = RunRank(o, collective, device, rank == 0 ? log : null);
            }
            catch (Exception ex) { errors[rank] = ex; }
        }) { Name = $"bench-rank-{rank}", IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (errors.FirstOrDefault(e => e is not null) is Exception failed)
            throw new InvalidOperationException($"a benchmark rank failed: {failed.Message}", failed);
        // Ranks step together (collectives), so rank 0's time is the group's; memory is the largest rank's.
        var first = results[0]!;
        return first with { PeakMemGib = results.Max(r => r!.PeakMemGib), DeviceUsedGib = results.Max(r => r!.DeviceUsedGib) };
    }

    /// <summary>The memory planner's per-GPU peak for this configuration, printed beside the measured one (NaN if it has none).</summary>
    private static double PlannerPeak(BenchOptions o, int world)
    {
        try { return Estimation.BenchmarkPrediction.PredictPeakBytes(o.Preset, o.Batch, o.Seq, o.LoraRank, o.GradCkpt, world, o.Zero) / (1L << 30); }
        catch (Exception ex) when (ex is Estimation.PlannerInputException or ArgumentException) { return double.NaN; }
    }

    private static Device FirstDevice(BenchOptions o) =>
        o.Device.StartsWith("cuda", StringComparison.Ordinal) ? new Device(o.Device == "cuda" ? "cuda:0" : o.Device) : CPU;

    private static BenchResult RunRank(BenchOptions o, ICollective group, Device device, Action<string>? log)
    {
        bool onGpu = device.type == DeviceType.CUDA;
        var config = BenchPresets.Config(o.Preset);
        bool sampled = onGpu && DevicePeakSampler.CachingDisabled;
        long baseline = 0;
        if (sampled)
        {
            using (zeros(1, device: device)) { } // the context exists before the baseline
            baseline = DeviceMemory.UsedBytes(device.index);
        }
        // On a GPU the weights are drawn there (an 8B model's fp32 init on the CPU takes minutes).
        using var model = new CausalLM(config, initSeed: 1234, initialize: !onGpu);
        long parameters = model.parameters().Sum(p => p.numel());
        if (o.LoraRank > 0) LoraModel.Apply(model, new LoraSettings(o.LoraRank, 2.0 * o.LoraRank, 0, LoraSettings.AllLinear), 1234);
        // Once only: TorchSharp's Module.to skips a module it believes is already on the device.
        model.to(device);
        if (onGpu)
        {
            cuda.manual_seed(1234);
            ModelInitializer.InitializeRandom(model, include: name => !LoraModel.IsAdapterParameter(name));
        }
        // Compute in bf16 on GPUs; the optimizer keeps an fp32 master copy (made after the cast: TorchSharp's
        // dtype conversion replaces the parameter objects, so the optimizer must see the final ones).
        if (onGpu) model.to(ScalarType.BFloat16);
        if (o.GradCkpt) ActivationCheckpointing.Apply(model, every: 1);
        FusedKernelSwitch.Enabled = o.Fused;
        Func<string, TorchSharp.Modules.Parameter, bool> takesDecay = (name, p) => p.dim() >= 2;
        var layout = new FlatLayout(model.named_parameters(), takesDecay);
        using var sharding = o.Zero == 3 ? new ParameterSharding(model, group, takesDecay, recomputeEvery: o.GradCkpt ? 1 : 0) : null;
        using IDataParallelOptimizer optimizer = sharding is null
            ? new ZeroAdamW(layout, group, stage: o.Zero, weightDecay: 0.1, beta1: 0.9, beta2: 0.95, bucketElements: GradientBuckets.FromEnvironment())
            : new Zero3AdamW(sharding, layout, weightDecay: 0.1, beta1: 0.9, beta2: 0.95);
        var bucketed = optimizer is ZeroAdamW { ReducesDuringBackward: true } overlapping ? overlapping : null;
        using var layerHook = bucketed is null ? null : LayerGradientHook.Install(model, bucketed.LayerGradientsFinal);
        optimizer.BroadcastParameters();
        bool fused = optimizer switch { ZeroAdamW z => z.Fused, Zero3AdamW z => z.Fused, _ => false };
        model.train();
        log?.Invoke($"{o.Preset}: {parameters / 1e9:F3}B parameters, seq {o.Seq}, batch {o.Batch}{(group.WorldSize > 1 ? $" per rank, {group.WorldSize} ranks, ZeRO {o.Zero}" : "")}, {device}" +
            $"{(o.LoraRank > 0 ? $", LoRA r{o.LoraRank}" : "")}{(o.GradCkpt ? ", activation checkpointing" : "")}, fused {(fused ? "on" : "off")}, chunked loss {(o.ChunkedLoss ? "on" : "off")}" +
            (bucketed is null ? "" : $", gradients reduced in {bucketed.Buckets.Count} buckets during backward"));

        var gen = new Generator((ulong)(99 + group.Rank), CPU); // tokens are drawn on the CPU (TorchSharp has no CUDA generator)
        var steps = new BenchStep(model, optimizer, config.VocabSize, o, device, gen);
        for (int i = 0; i < o.Warmup; i++) steps.Run();
        if (onGpu) cuda.synchronize(device);
        group.Barrier();
        double deviceUsed = 0;
        var sampler = sampled ? new DevicePeakSampler(device.index) : null;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < o.Steps; i++)
        {
            steps.Run();
            if (onGpu) deviceUsed = Math.Max(deviceUsed, DeviceMemory.UsedGib(device.index));
        }
        if (onGpu) cuda.synchronize(device);
        sampler?.Dispose();
        double stepSeconds = clock.Elapsed.TotalSeconds / o.Steps;
        var breakdown = onGpu && o.Profile && !sampled && group.WorldSize == 1 ? StepProfiler.Measure(steps, device, stepSeconds * 1000) : null;

        double tokensPerSecond = o.Batch * o.Seq / stepSeconds;
        long embed = (long)config.VocabSize * config.HiddenSize;
        int perParam = o.LoraRank > 0 ? 4 : 6;
        double flopsPerToken = perParam * (double)(parameters - embed) + 6.0 * config.NumLayers * config.HiddenSize * o.Seq;
        double mfu = tokensPerSecond * flopsPerToken / (o.PeakTflops * 1e12);
        double peak = sampler is not null ? (sampler.PeakUsedBytes - baseline) / (double)(1L << 30) : onGpu ? deviceUsed : 0;
        string source = sampler is not null ? "sampled-uncached" : onGpu ? "cudaMemGetInfo" : "none";
        return new BenchResult(tokensPerSecond, mfu, peak, stepSeconds * 1000, parameters, steps.LastLoss, o.Preset, group.WorldSize, o,
            onGpu ? deviceUsed : double.NaN, breakdown, source, PlannerPeak(o, group.WorldSize));
    }
}
