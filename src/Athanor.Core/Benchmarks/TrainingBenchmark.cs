using Athanor.Kernels;
using System.Diagnostics;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Native;
using Athanor.Parallel;
using Athanor.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Benchmarks;

/// <summary>
/// Training steps on random tokens with exactly the shapes, recipe and FLOP count of
/// shared/reference/torch_llama_bench.py: bf16 compute with fp32 master weights and AdamW state on a GPU
/// (fp32 on CPU), betas (0.9, 0.95), weight decay 0.1, clipping at 1.0, fp32 loss, mean over tokens.
/// The step is the trainer's: the same model, checkpointing, loss and optimizer code.
/// </summary>
public static class TrainingBenchmark
{
    public static BenchResult Run(BenchOptions o, Action<string>? log = null)
    {
        bool onGpu = o.Device.StartsWith("cuda", StringComparison.Ordinal);
        if (onGpu) TorchRuntime.InitializeCuda(); else TorchRuntime.Initialize();
        var device = onGpu ? new Device(o.Device == "cuda" ? "cuda:0" : o.Device) : CPU;
        var config = BenchPresets.Config(o.Preset);
        bool sampled = onGpu && DevicePeakSampler.CachingDisabled;
        long baseline = 0;
        if (sampled)
        {
            using (zeros(1, device: device)) { } // the context exists before the baseline
            baseline = DeviceMemory.UsedBytes();
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
        var layout = new FlatLayout(model.named_parameters(), (name, p) => p.dim() >= 2);
        using var optimizer = new ZeroAdamW(layout, new SingleRankCollective(), stage: 0, weightDecay: 0.1, beta1: 0.9, beta2: 0.95);
        model.train();
        log?.Invoke($"{o.Preset}: {parameters / 1e9:F3}B parameters, seq {o.Seq}, batch {o.Batch}, {device}" +
            $"{(o.LoraRank > 0 ? $", LoRA r{o.LoraRank}" : "")}{(o.GradCkpt ? ", activation checkpointing" : "")}, fused {(o.Fused ? "on" : "off")}, chunked loss {(o.ChunkedLoss ? "on" : "off")}");

        var gen = new Generator(99, CPU); // tokens are drawn on the CPU (TorchSharp has no CUDA generator)
        var steps = new BenchStep(model, optimizer, config.VocabSize, o, device, gen);
        for (int i = 0; i < o.Warmup; i++) steps.Run();
        if (onGpu) cuda.synchronize(device);
        double deviceUsed = 0;
        var sampler = sampled ? new DevicePeakSampler(device.index) : null;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < o.Steps; i++)
        {
            steps.Run();
            if (onGpu) deviceUsed = Math.Max(deviceUsed, DeviceMemory.UsedGib());
        }
        if (onGpu) cuda.synchronize(device);
        sampler?.Dispose();
        double stepSeconds = clock.Elapsed.TotalSeconds / o.Steps;
        var breakdown = onGpu && o.Profile && !sampled ? StepProfiler.Measure(steps, device, stepSeconds * 1000) : null;

        double tokensPerSecond = o.Batch * o.Seq / stepSeconds;
        long embed = (long)config.VocabSize * config.HiddenSize;
        int perParam = o.LoraRank > 0 ? 4 : 6;
        double flopsPerToken = perParam * (double)(parameters - embed) + 6.0 * config.NumLayers * config.HiddenSize * o.Seq;
        double mfu = tokensPerSecond * flopsPerToken / (o.PeakTflops * 1e12);
        double peak = sampler is not null ? (sampler.PeakUsedBytes - baseline) / (double)(1L << 30) : onGpu ? deviceUsed : 0;
        string source = sampler is not null ? "sampled-uncached" : onGpu ? "cudaMemGetInfo" : "none";
        return new BenchResult(tokensPerSecond, mfu, peak, stepSeconds * 1000, parameters, steps.LastLoss, o.Preset, 1, o,
            onGpu ? deviceUsed : double.NaN, breakdown, source);
    }
}
