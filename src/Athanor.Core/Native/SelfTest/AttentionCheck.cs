using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Native.SelfTest;

/// <summary>
/// scaled_dot_product_attention in bf16 takes a fused kernel (flash on Hopper) and not the math path: it is
/// timed against the math path written out (matmul, causal mask, softmax, matmul) and must be several times
/// faster, and against SDPA with an explicit mask (which flash does not take).
/// </summary>
internal static class AttentionCheck
{
    public static string FlashForBf16()
    {
        var device = new Device(DeviceType.CUDA, 0);
        const long b = 4, h = 32, t = 4096, d = 128;
        using var q = randn([b, h, t, d], ScalarType.BFloat16, device);
        using var k = randn([b, h, t, d], ScalarType.BFloat16, device);
        using var v = randn([b, h, t, d], ScalarType.BFloat16, device);
        double flops = 4.0 * b * h * t * t * d / 2; // causal: half of QK^T and PV

        double fused = Time(device, () => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true));

        using var mask = ones([t, t], ScalarType.Bool, device).tril_();
        double masked = Time(device, () => nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask));
        double math = Time(device, () =>
        {
            var scores = Models.SafeMatmul.Batched(q, k.transpose(-2, -1)).mul_(1.0 / Math.Sqrt(d)).masked_fill_(mask.logical_not(), double.NegativeInfinity);
            return Models.SafeMatmul.Batched(scores.softmax(-1), v);
        });
        if (math / fused < 3)
            throw new InvalidOperationException($"causal SDPA took {fused:F2} ms against {math:F2} ms for the math path written out: no fused kernel ran");
        return $"causal SDPA {flops / fused / 1e9:F0} TFLOP/s ({fused:F2} ms); " +
            $"with an explicit mask {flops / masked / 1e9:F0} TFLOP/s; math path {flops / math / 1e9:F0} TFLOP/s ({math / fused:F1}x slower)";
    }

    private static double Time(Device device, Func<Tensor> attention)
    {
        const int iterations = 10;
        using (var scope = NewDisposeScope()) attention();
        cuda.synchronize(device);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
            using (var scope = NewDisposeScope()) attention();
        cuda.synchronize(device);
        return watch.Elapsed.TotalMilliseconds / iterations;
    }
}
