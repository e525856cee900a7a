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

    /// <summary>
    /// The known GPU whose dense bf16 peak a device of this compute capability has: sm_90 (H100 SXM, H200), sm_80
    /// (A100), sm_86 (A10G); null for others. H100 PCIe (also sm_90, 756 TFLOP/s) gets the SXM peak, which
    /// understates its MFU; set ATHANOR_PEAK_FLOPS for it.
    /// </summary>
    public static GpuType? FromComputeCapability(int major, int minor) => (major, minor) switch
    {
        (9, 0) => Find("h100"),
        (8, 0) => Find("a100-80g"),
        (8, 6) => Find("a10g"),
        _ => null,
    };

    public static GpuType? Find(string name) => All.FirstOrDefault(g => string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase));
}
