using System.Diagnostics;
using System.Globalization;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Native;
using Athanor.Parallel;
using Athanor.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Benchmarks;

public sealed record BenchOptions(string Preset = "1b", string Device = "cpu", int Seq = 2048, int Batch = 4, int Steps = 20, int Warmup = 5,
    int LoraRank = 0, double PeakTflops = 989.0);

public sealed record BenchResult(double TokensPerSecond, double Mfu, double PeakMemGib, double StepMs, long Parameters, double Loss, string Preset, int World)
{
    /// <summary>The reference benchmark's RESULT line format, so the two can be compared by the same script.</summary>
    public string ResultLine() => string.Create(CultureInfo.InvariantCulture,
        $"RESULT tokens_per_s_per_gpu={TokensPerSecond:F0} mfu={Mfu:F3} peak_mem_gib={PeakMemGib:F2} step_ms={StepMs:F1} world={World} preset={Preset}");
}

/// <summary>
/// Training steps on random tokens with exactly the shapes, recipe and FLOP count of
/// shared/reference/torch_llama_bench.py: bf16 compute with fp32 master weights and AdamW state on a GPU
/// (fp32 on CPU), betas (0.9, 0.95), weight decay 0.1, clipping at 1.0, fp32 loss.
/// </summary>
public static class TrainingBenchmark
{
    public static BenchResult Run(BenchOptions o, Action<string>? log = null)
    {
        bool cuda = o.Device.StartsWith("cuda", StringComparison.Ordinal);
        if (cuda) TorchRuntime.InitializeCuda(); else TorchRuntime.Initialize();
        var device = cuda ? new Device(o.Device == "cuda" ? "cuda:0" : o.Device) : CPU;
        var config = BenchPresets.Config(o.Preset);
        using var model = new CausalLM(config, initSeed: 1234);
        long parameters = model.parameters().Sum(p => p.numel());
        if (o.LoraRank > 0) LoraModel.Apply(model, new LoraSettings(o.LoraRank, 2.0 * o.LoraRank, 0, LoraSettings.AllLinear), 1234);
        model.to(device);
        // Compute in bf16 on GPUs; the optimizer keeps an fp32 master copy (made after the cast: TorchSharp's
        // dtype conversion replaces the parameter objects, so the optimizer must see the final ones).
        if (cuda) model.to(ScalarType.BFloat16);
        var layout = new FlatLayout(model.named_parameters(), (name, p) => p.dim() >= 2);
        using var optimizer = new ZeroAdamW(layout, new SingleRankCollective(), stage: 0, weightDecay: 0.1, beta1: 0.9, beta2: 0.95);
        model.train();
        log?.Invoke($"{o.Preset}: {parameters / 1e9:F3}B parameters, seq {o.Seq}, batch {o.Batch}, {device}{(o.LoraRank > 0 ? $", LoRA r{o.LoraRank}" : "")}");

        var gen = new Generator(99, CPU); // tokens are drawn on the CPU (a generator on the GPU is not available in TorchSharp)
        double loss = 0;
        double peak = 0;
        void Step()
        {
            using var scope = NewDisposeScope();
            var tokens = randint(0, config.VocabSize, [o.Batch, o.Seq + 1], generator: gen).to(device);
            var input = tokens.narrow(1, 0, o.Seq);
            var target = tokens.narrow(1, 1, o.Seq);
            var logits = model.forward(input).to_type(ScalarType.Float32);
            var l = nn.functional.cross_entropy(logits.reshape(-1, config.VocabSize), target.reshape(-1));
            l.backward();
            optimizer.SyncAndClipGradients(1.0);
            optimizer.Step(3e-4);
            optimizer.ZeroGrad();
            loss = l.item<float>();
        }

        for (int i = 0; i < o.Warmup; i++) Step();
        if (cuda) cuda_synchronize(device);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < o.Steps; i++)
        {
            Step();
            if (cuda) peak = Math.Max(peak, DeviceMemory.UsedGib());
        }
        if (cuda) cuda_synchronize(device);
        double stepSeconds = clock.Elapsed.TotalSeconds / o.Steps;
        double tokensPerSecond = o.Batch * o.Seq / stepSeconds;
        long embed = (long)config.VocabSize * config.HiddenSize;
        int perParam = o.LoraRank > 0 ? 4 : 6;
        double flopsPerToken = perParam * (double)(parameters - embed) + 6.0 * config.NumLayers * config.HiddenSize * o.Seq;
        double mfu = tokensPerSecond * flopsPerToken / (o.PeakTflops * 1e12);
        return new BenchResult(tokensPerSecond, mfu, peak, stepSeconds * 1000, parameters, loss, o.Preset, 1);
    }

    private static void cuda_synchronize(Device device) => TorchSharp.torch.cuda.synchronize(device);
}
