namespace Athanor.Estimation;

/// <summary>A GPU the planner knows: dense bf16 tensor-core peak, memory, and an illustrative spot price per GPU-hour.</summary>
public sealed record GpuType(string Name, string Description, double PeakBf16Tflops, double MemoryGiB, double DefaultPricePerHour)
{
    /// <summary>
    /// Peaks are NVIDIA's dense (no sparsity) bf16 figures: H100 SXM and H200 989, A100 312, A10G 125 (the A10's
    /// datasheet figure; AWS's A10G runs at lower clocks, so treat it as an upper bound). Prices are illustrative only.
    /// </summary>
    public static IReadOnlyList<GpuType> All { get; } =
    [
        new("h100", "H100 SXM 80GB", 989, 80, 2.50),
        new("h200", "H200 141GB", 989, 140, 3.50),
        new("a100-80g", "A100 SXM 80GB", 312, 80, 1.50),
        new("a100-40g", "A100 40GB", 312, 40, 1.10),
        new("a10g", "A10G 24GB", 125, 24, 0.50),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(g => g.Name).ToArray();

    public static GpuType? Find(string name) => All.FirstOrDefault(g => string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase));
}
