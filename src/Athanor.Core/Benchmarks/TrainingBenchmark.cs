using Athanor.Jobs;
using Athanor.Native;
using Athanor.Parallel;
using Athanor.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Benchmarks;

/// <summary>
/// Training steps on random tokens with exactly the shapes, recipe and FLOP count of
/// shared/reference/torch_llama_bench.py. The run is a job (<see cref="BenchJob"/>): the model is built and placed
/// by <see cref="JobPreparation.BuildModel"/> and trained by <see cref="Trainer"/>, with the job's checkpointing,
/// loss, ZeRO stage and optimizer, so what the benchmark reports is what jobs get. With several ranks (threads of
/// this process, one GPU each, NCCL between them) it is data-parallel like the reference under torchrun: each rank
/// its own micro-batch, gradients reduced, ZeRO stage as asked.
/// </summary>
public static class TrainingBenchmark
{
    public static BenchResult Run(BenchOptions o, Action<string>? log = null)
    {
        bool onGpu = o.Device.StartsWith("cuda", StringComparison.Ordinal);
        if (onGpu) TorchRuntime.InitializeCuda(); else TorchRuntime.Initialize();
        if (o.World < 1) throw new ArgumentException($"world size {o.World}: need at least 1 rank");
        if (o.Warmup < 1) throw new ArgumentException($"--warmup {o.Warmup}: the first step is never timed; accepted: 1 or more");
        if (onGpu && o.World > 1 && o.Device != "cuda")
            throw new ArgumentException($"--world {o.World} puts one rank on each GPU: use --device cuda, not {o.Device}");
        if (onGpu && cuda.device_count() < o.World)
            throw new ArgumentException($"--world {o.World} needs {o.World} GPUs; this machine has {cuda.device_count()}");
        var outputDir = Directory.CreateTempSubdirectory("athanor-bench-").FullName;
        try
        {
            if (o.World == 1) return RunRank(o, new SingleRankCollective(), FirstDevice(o), outputDir, log);
            return RunRanks(o, onGpu, outputDir, log);
        }
        finally { Directory.Delete(outputDir, recursive: true); }
    }

    private static BenchResult RunRanks(BenchOptions o, bool onGpu, string outputDir, Action<string>? log)
    {
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
                using (collective) results[rank] = RunRank(o, collective, device, outputDir, rank == 0 ? log : null);
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

    private static BenchResult RunRank(BenchOptions o, ICollective group, Device device, string outputDir, Action<string>? log)
    {
        bool onGpu = device.type == DeviceType.CUDA;
        var modelConfig = BenchPresets.Config(o.Preset);
        // cuda:N names the device; the job's "cuda" puts rank r on GPU r.
        var job = BenchJob.Config(o, outputDir) with { Device = onGpu ? $"cuda:{device.index}" : "cpu" };
        using var clock = new BenchStepClock(o.Warmup, o.Steps, device);
        var (model, lora, deferred) = JobPreparation.BuildModel(job, modelConfig, log, group.Rank);
        using (model)
        {
            var data = BenchJob.RandomTokens(o, modelConfig.VocabSize);
            var settings = JobPreparation.MapSettings(job, data.Train.Count, group.WorldSize, o.Zero) with
            {
                SaveCheckpoints = false,
                ChunkedLoss = o.ChunkedLoss,
            };
            log?.Invoke($"{o.Preset}: {modelConfig.ParameterCount() / 1e9:F3}B parameters, seq {o.Seq}, batch {o.Batch}" +
                $"{(group.WorldSize > 1 ? $" per rank, {group.WorldSize} ranks, ZeRO {o.Zero}" : "")}, {device}" +
                $"{(o.LoraRank > 0 ? $", LoRA r{o.LoraRank}" : "")}{(o.GradCkpt ? ", activation checkpointing" : "")}, " +
                $"fused kernels {(o.Fused ? "where they win" : "off")}, chunked loss {(o.ChunkedLoss ? "on" : "off")}: {o.Warmup} warm-up and {o.Steps} timed steps of the trainer");
            var trainer = new Trainer(model, lora, data, settings, group: group) { Deferred = deferred, StepCompleted = clock.StepDone };
            var result = trainer.Run();

            double stepSeconds = clock.StepSeconds;
            double tokensPerSecond = o.Batch * o.Seq / stepSeconds;
            long parameters = modelConfig.ParameterCount();
            long embed = (long)modelConfig.VocabSize * modelConfig.HiddenSize;
            int perParam = o.LoraRank > 0 ? 4 : 6;
            double flopsPerToken = perParam * (double)(parameters - embed) + 6.0 * modelConfig.NumLayers * modelConfig.HiddenSize * o.Seq;
            double mfu = tokensPerSecond * flopsPerToken / (o.PeakTflops * 1e12);
            double peak = clock.SampledPeakBytes is long sampled ? (sampled - clock.Baseline) / (double)(1L << 30) : onGpu ? clock.DeviceUsedGib : 0;
            string source = clock.SampledPeakBytes is null ? "none" : DevicePeakSampler.CachingDisabled ? "sampled-uncached" : "sampled-reserved";
            return new BenchResult(tokensPerSecond, mfu, peak, stepSeconds * 1000, parameters, result.LastLoss ?? double.NaN, o.Preset, group.WorldSize, o,
                onGpu ? clock.DeviceUsedGib : double.NaN, source, PlannerPeak(o, group.WorldSize));
        }
    }
}
