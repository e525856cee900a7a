using System.Collections.Concurrent;
using Athanor.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Kernels;

/// <summary>
/// Chooses, for one GPU and one model's shapes, which ops run fused: each fused kernel is timed against the plain
/// libtorch ops it replaces (forward and backward, bf16 or the model's dtype, the model's hidden size, FFN width,
/// heads and a micro-batch's tokens) and kept only where it is faster. Measured once per planner for each device
/// and shape (a fraction of a second), because which one wins depends on the GPU and the shapes: on an H100 the
/// fused RMSNorm and rotary lost to libtorch's at the 1b preset's shapes while the fused SwiGLU won. Whoever builds
/// a job's models owns the planner (no process-wide cache): a rank keeps one for its attempt.
/// Gradients go through Tensor.backward (accumulating into the inputs' .grad, the same extra add for both sides):
/// autograd.grad's native entry point does not catch libtorch's exceptions.
/// </summary>
public sealed class KernelPlanner
{
    private const int Iterations = 10;
    private readonly ConcurrentDictionary<string, (KernelPlan Plan, string Line)> _decided = new();

    /// <summary>The plan for a model on device, with the line that says what was measured (also logged).</summary>
    /// <param name="fusedKernels">the job's fused_kernels: false plans plain libtorch ops without measuring</param>
    public KernelPlan Choose(Device device, ModelConfig config, ScalarType dtype, long tokens, bool fusedKernels, Action<string>? log)
    {
        if (!fusedKernels)
        {
            if (device.type == DeviceType.CUDA) log?.Invoke("kernels: plain libtorch ops (fused_kernels: false)");
            return KernelPlan.None;
        }
        if (!FusedOps.IsAvailable(device, out var reason))
        {
            if (device.type == DeviceType.CUDA) log?.Invoke($"kernels: plain libtorch ops ({reason})");
            return KernelPlan.None;
        }
        // A few sequences are enough to rank the kernels; more only costs memory.
        tokens = Math.Clamp(tokens, 512, 16384);
        string key = $"{device}|{dtype}|{config.HiddenSize}|{config.IntermediateSize}|{config.NumHeads}|{config.HeadDim}|{tokens}";
        var (plan, line) = _decided.GetOrAdd(key, _ => Measure(device, config, dtype, tokens));
        log?.Invoke(line);
        return plan;
    }

    private static (KernelPlan, string) Measure(Device device, ModelConfig config, ScalarType dtype, long tokens)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(31);
        long hidden = config.HiddenSize, ffn = config.IntermediateSize, heads = config.NumHeads, headDim = config.HeadDim;
        var gradients = new Training.BackwardResults(); // what the fused kernels' backward hands back, freed at the end

        var x = SelfCheckMath.Random([tokens, hidden], dtype, device, gen).requires_grad_(true);
        var dx = SelfCheckMath.Random([tokens, hidden], dtype, device, gen);
        var w = ones(hidden, dtype, device).requires_grad_(true);
        var rms = Compare(device,
            () => FusedOps.RmsNorm(x, w, config.RmsNormEps, gradients).backward([dx]),
            () => PlainRmsNorm(x, w, config.RmsNormEps).backward([dx]));

        var gate = SelfCheckMath.Random([tokens, ffn], dtype, device, gen).requires_grad_(true);
        var up = SelfCheckMath.Random([tokens, ffn], dtype, device, gen).requires_grad_(true);
        var dy = SelfCheckMath.Random([tokens, ffn], dtype, device, gen);
        var swiglu = Compare(device,
            () => FusedOps.SwiGlu(gate, up, gradients).backward([dy]),
            () => (nn.functional.silu(gate) * up).backward([dy]));

        // Rotary as the attention applies it: on the transposed view [B, H, T, D] of the projection's [B, T, H, D].
        long seq = Math.Min(tokens, 4096), batch = Math.Max(1, tokens / seq);
        var q = SelfCheckMath.Random([batch, seq, heads, headDim], dtype, device, gen).requires_grad_(true);
        var dq = SelfCheckMath.Random([batch, heads, seq, headDim], dtype, device, gen);
        using var rope = new RotaryEmbedding((int)headDim, config.Rope);
        var (cos, sin) = rope.Angles(seq, device, dtype);
        var rotary = Compare(device,
            () => FusedOps.Rotary(q.transpose(1, 2), cos, sin, gradients).backward([dq]),
            () => RotaryEmbedding.Apply(q.transpose(1, 2), cos, sin, fused: false).backward([dq]));

        gradients.Release();
        gradients.ThrowIfFailed();
        var plan = new KernelPlan(rms.FusedWins, rotary.FusedWins, swiglu.FusedWins);
        string line = $"kernels on {device} (timed at {tokens} tokens, {SelfCheckMath.Name(dtype)}): RMSNorm {rms}, rotary {rotary}, SwiGLU {swiglu}";
        return (plan, line);
    }

    private static Tensor PlainRmsNorm(Tensor x, Tensor w, double eps)
    {
        var x32 = x.to_type(ScalarType.Float32);
        return w * (x32 * (x32.pow(2).mean([-1], keepdim: true) + eps).rsqrt()).to_type(x.dtype);
    }

    private sealed record Timing(double FusedMs, double PlainMs)
    {
        public bool FusedWins => FusedMs < PlainMs;
        public override string ToString() => $"fused {FusedMs:F3} ms vs {PlainMs:F3} ms -> {(FusedWins ? "fused" : "unfused")}";
    }

    private static Timing Compare(Device device, Action fused, Action plain) =>
        new(SelfCheckMath.TimeMs(device, Iterations, fused), SelfCheckMath.TimeMs(device, Iterations, plain));
}
