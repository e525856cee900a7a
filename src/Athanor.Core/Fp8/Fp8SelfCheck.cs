using Athanor.Native.SelfTest;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Fp8;

/// <summary>
/// `cluster doctor --selftest`'s fp8 checks on cuda:0: the cast kernels' codes equal the pure reference's, and each of
/// the linear's three fp8 GEMMs (forward E4M3 x E4M3, input gradient E5M2 x E4M3, weight gradient E5M2 x E4M3, shapes
/// not multiples of 16 included) is within fp8's expected error of the bf16 GEMM and matches the CPU emulation up to
/// accumulation order and bf16 output rounding. SKIP with the reason on a GPU without fp8.
/// </summary>
public static class Fp8SelfCheck
{
    /// <summary>Relative Frobenius error against the bf16 GEMM: E5M2's 2 mantissa bits round by up to 12.5% an element; averaged over a dot product it stays far below this.</summary>
    public const double MaxErrorVsBf16 = 0.08;

    /// <summary>Against the emulation: only accumulation order and the bf16 rounding of the output (2^-9 relative) differ.</summary>
    public const double MaxErrorVsEmulation = 0.01;

    public static IEnumerable<GpuCheck> All =>
    [
        new("fp8.cast", Cast),
        new("fp8.gemm", Gemms),
    ];

    private static int Device()
    {
        if (Fp8Support.WhyNot(0) is string why) throw new GpuCheckSkipped(why);
        return 0;
    }

    private static string Cast()
    {
        int device = Device();
        using var backend = new CublasLtFp8Backend(device);
        var random = new Random(17);
        var values = Enumerable.Range(0, 64 * 1024).Select(_ => (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-12, 12)))).ToArray();
        var details = new List<string>();
        foreach (var format in new[] { Fp8Format.E4M3, Fp8Format.E5M2 })
        {
            using var scope = NewDisposeScope();
            var x = tensor(values).reshape(256, 256).to(new Device(DeviceType.CUDA, device));
            var slot = zeros(1, ScalarType.Float32, x.device);
            var cast = backend.Quantize(x, format, slot);
            var codes = cast.Data.cpu().data<byte>().ToArray();
            Assert(Fp8Scaling.TryTensorwiseScale(Fp8Scaling.Amax(values), format, out var scale), "the amax is finite");
            var expected = new byte[values.Length];
            Fp8Scaling.Quantize(values, format, scale, expected);
            int mismatches = codes.Where((c, i) => c != expected[i]).Count();
            Assert(mismatches == 0, $"{format}: {mismatches} of {values.Length} codes differ from the pure reference");
            float inverse = cast.InverseScale.cpu().item<float>();
            Assert(inverse == Fp8Scaling.InverseScale(scale), $"{format}: inverse scale {inverse} against the reference's {Fp8Scaling.InverseScale(scale)}");
            Assert(slot.cpu().item<float>() == Fp8Scaling.Amax(values), $"{format}: the step's amax slot holds {slot.cpu().item<float>()}");
            details.Add($"{format} {values.Length} codes equal");
        }
        return string.Join(", ", details);
    }

    private static string Gemms()
    {
        int device = Device();
        using var backend = new CublasLtFp8Backend(device);
        var emulated = new EmulatedFp8Backend();
        var details = new List<string>();
        foreach (var (m, k, n) in new[] { (512L, 1024L, 768L), (200L, 520L, 72L) })
        {
            using var scope = NewDisposeScope();
            var gpu = new Device(DeviceType.CUDA, device);
            using var generator = new Generator(5, CPU);
            var x = randn([m, k], generator: generator);
            var w = randn([n, k], generator: generator) * 0.05;
            var g = randn([m, n], generator: generator) * 1e-3;
            foreach (var (name, a, aFormat, b, bFormat) in new[]
            {
                ("forward", x, Fp8Format.E4M3, w, Fp8Format.E4M3),            // y = x W^T
                ("input-gradient", g, Fp8Format.E5M2, w.t().contiguous(), Fp8Format.E4M3),  // dx = g W
                ("weight-gradient", g.t().contiguous(), Fp8Format.E5M2, x.t().contiguous(), Fp8Format.E4M3), // dW = g^T x
            })
            {
                var reference = a.to(gpu).to_type(ScalarType.BFloat16).mm(b.to(gpu).to_type(ScalarType.BFloat16).t()).to_type(ScalarType.Float32).cpu();
                var slot = zeros(1, ScalarType.Float32, gpu);
                var a8 = backend.Quantize(a.to(gpu).to_type(ScalarType.BFloat16).contiguous(), aFormat, slot);
                var b8 = backend.Quantize(b.to(gpu).to_type(ScalarType.BFloat16).contiguous(), bFormat, slot);
                var fp8 = backend.Gemm(a8, b8, ScalarType.BFloat16).to_type(ScalarType.Float32).cpu();
                var cpuSlot = zeros(1, ScalarType.Float32);
                var aBf16 = a.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32);
                var bBf16 = b.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32);
                var emulatedResult = emulated.Gemm(emulated.Quantize(aBf16, aFormat, cpuSlot), emulated.Quantize(bBf16, bFormat, cpuSlot), ScalarType.Float32);
                double vsBf16 = Relative(fp8, reference), vsEmulation = Relative(fp8, emulatedResult);
                Assert(vsBf16 <= MaxErrorVsBf16, $"{name} [{m}x{k}]x[{n}x{k}]^T: relative error {vsBf16:E2} against bf16 (allowed {MaxErrorVsBf16})");
                Assert(vsEmulation <= MaxErrorVsEmulation, $"{name} [{m}x{k}]: relative difference {vsEmulation:E2} from the CPU emulation (allowed {MaxErrorVsEmulation})");
                details.Add($"{name} {m}x{k}x{n}: {vsBf16:E1} vs bf16, {vsEmulation:E1} vs emulation");
            }
        }
        return string.Join("; ", details);
    }

    private static double Relative(Tensor actual, Tensor expected)
    {
        using var diff = (actual - expected).norm();
        using var size = expected.norm();
        return diff.item<float>() / Math.Max(1e-30, size.item<float>());
    }

    private static void Assert(bool ok, string what)
    {
        if (!ok) throw new InvalidOperationException(what);
    }
}
