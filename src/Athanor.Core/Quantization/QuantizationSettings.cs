using Athanor.Configuration;

namespace Athanor.Quantization;

/// <summary>How a job's base is quantized: the data type, double quantization and block size (64, as QLoRA).</summary>
public sealed record QuantizationSettings(QuantizationType Type, bool DoubleQuantization, int BlockSize = FourBitQuantizer.DefaultBlockSize)
{
    /// <summary>The job's settings, or null when its base is not quantized.</summary>
    public static QuantizationSettings? From(JobConfig config) =>
        config.IsQuantized ? new QuantizationSettings(config.QuantizationType, config.DoubleQuantization) : null;

    public string Describe() => $"4-bit {FourBitCode.Name(Type).ToUpperInvariant()}, blocks of {BlockSize}{(DoubleQuantization ? ", double-quantized scales" : "")}";
}
