namespace Athanor.Kernels;

/// <summary>
/// A CUDA C++ translation unit compiled by NVRTC at run time: the shared prelude plus one op's kernels.
/// Sources use no #include (bf16 is an unsigned short converted with bit operations), so NVRTC needs no
/// CUDA headers on the machine.
/// </summary>
public sealed record KernelSource(string Name, string Body, IReadOnlyList<string> Kernels)
{
    public string Code { get; } = KernelPrelude.Code + "\n" + Body;
}

/// <summary>Every kernel source the fused ops use (the compile check walks this list).</summary>
public static class KernelSources
{
    public static readonly IReadOnlyList<KernelSource> All =
        [RmsNormSource.Source, SwiGluSource.Source, RotarySource.Source, AdamWSource.Source, SumSquaresSource.Source,
            Quantization.DequantizeSource.Source]; // issue 22: the 4-bit dequantization kernel
}
