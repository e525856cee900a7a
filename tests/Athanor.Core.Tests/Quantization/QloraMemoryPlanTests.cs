using Athanor.Configuration;
using Athanor.Estimation;
using Athanor.Jobs;
using Athanor.Models;

namespace Athanor.Tests.Quantization;

/// <summary>The job memory check plans a quantization_bit: 4 job with 4-bit base weights, and may advise one.</summary>
public sealed class QloraMemoryPlanTests
{
    // Llama-1-65B's shapes.
    private static readonly ModelConfig Llama65b = ModelConfig.Parse("""
        {"model_type": "llama", "hidden_size": 8192, "intermediate_size": 22016, "num_hidden_layers": 80,
         "num_attention_heads": 64, "num_key_value_heads": 64, "vocab_size": 32000, "rms_norm_eps": 1e-5,
         "tie_word_embeddings": false}
        """, "65b config.json");

    private static JobConfig Job(int? bits) => new()
    {
        ModelNameOrPath = "/models/llama-65b", OutputDir = "/o", Device = "cuda", Bf16 = true, FinetuningType = FinetuningType.Lora,
        LoraRank = 16, QuantizationBit = bits, PerDeviceTrainBatchSize = 1, GradientAccumulationSteps = 16, CutoffLen = 2048,
        GradientCheckpointing = true,
    };

    [Fact]
    public void AFourBitJobIsPlannedWithHalfAByteAWeightPlusScales()
    {
        Assert.Equal(FineTuningMethod.Qlora, JobMemoryCheck.PlanFor(Job(4), 1).Method);
        Assert.Equal(FineTuningMethod.Lora, JobMemoryCheck.PlanFor(Job(null), 1).Method);
        var qlora = JobMemoryCheck.Estimate(Job(4), Llama65b, 1);
        var lora = JobMemoryCheck.Estimate(Job(null), Llama65b, 1);
        var spec = qlora.Model;
        double linear = spec.LinearParameters;
        // Decoder linears at 0.5 byte + one 8-bit scale per 64 (double quantization); the rest and the adapters in bf16.
        Assert.Equal(0.515625 * linear + 2 * (spec.Parameters - linear) + 2 * spec.Shape.LoraParameters(16), qlora.WeightBytes, 1e3);
        Assert.True(qlora.WeightBytes < 0.27 * lora.WeightBytes, $"{qlora.WeightBytes / 1e9:F1} GB vs {lora.WeightBytes / 1e9:F1} GB");
        // Measured: 52.0 GB planned in all (weights 34.8 GB); LoRA on the bf16 base 148.1 GB. (The QLoRA paper fits 65B in 48 GB
        // at a shorter sequence; the planner's activation model at seq 2048 puts it above, so that target is not claimed here.)
        Assert.True(qlora.TotalBytes < 0.4 * lora.TotalBytes, $"QLoRA {qlora.TotalBytes / 1e9:F1} GB vs LoRA {lora.TotalBytes / 1e9:F1} GB");
        Console.WriteLine($"65B r16 seq 2048 micro-batch 1, checkpointing: QLoRA {qlora.TotalBytes / 1e9:F1} GB (weights {qlora.WeightBytes / 1e9:F1}), LoRA {lora.TotalBytes / 1e9:F1} GB");
    }

    [Fact]
    public void ALoraJobTooBigForOneGpuFitsWithAFourBitBase()
    {
        Assert.Throws<JobException>(() => JobMemoryCheck.Verify(Job(null), Llama65b, 1, 80.0 * (1L << 30), "cuda:0"));
        // The same job with a 4-bit base passes the check.
        var lines = new List<string>();
        JobMemoryCheck.Verify(Job(4), Llama65b, 1, 80.0 * (1L << 30), "cuda:0", lines.Add);
        Assert.StartsWith("memory plan: ", lines[0]);
    }
}
