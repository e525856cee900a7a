namespace Athanor.Estimation;

public enum FineTuningMethod { Full, Lora, Qlora }

/// <summary>
/// One training configuration to estimate: method, ZeRO stage over <see cref="Gpus"/> data-parallel ranks, the
/// micro-batch each GPU runs (<see cref="Batch"/> sequences of <see cref="Sequence"/> tokens) and the memory savers.
/// <see cref="Accumulation"/> is only carried for recommendations (a smaller micro-batch keeps the global batch).
/// </summary>
public sealed record TrainingPlan
{
    public FineTuningMethod Method { get; init; } = FineTuningMethod.Full;
    public int ZeroStage { get; init; }
    public int Gpus { get; init; } = 1;
    public int Sequence { get; init; } = 2048;
    public int Batch { get; init; } = 1;
    public int Accumulation { get; init; } = 1;
    public bool GradientCheckpointing { get; init; }
    public bool Offload { get; init; }
    /// <summary>2 (bf16) or 4 (fp32) bytes per gradient element.</summary>
    public int GradientBytes { get; init; } = 2;
    public int LoraRank { get; init; } = 8;

    public bool TrainsAdapters => Method != FineTuningMethod.Full;

    /// <summary>The highest ZeRO stage this method allows: 4-bit base weights are not partitioned by ZeRO-3.</summary>
    public static int MaxZeroStage(FineTuningMethod method) => method == FineTuningMethod.Qlora ? 2 : 3;

    public static string MethodName(FineTuningMethod method) => method switch
    {
        FineTuningMethod.Full => "full",
        FineTuningMethod.Lora => "lora",
        _ => "qlora",
    };

    /// <summary>Combinations that cannot be run, each named by its flags with what is allowed instead.</summary>
    public TrainingPlan Validated()
    {
        if (ZeroStage is < 0 or > 3)
            throw new PlannerInputException($"--zero {ZeroStage} is not a ZeRO stage; accepted: 0, 1, 2, 3");
        if (Gpus < 1) throw new PlannerInputException($"--gpus {Gpus} is not accepted; accepted: a whole number >= 1");
        if (Sequence < 1) throw new PlannerInputException($"--seq {Sequence} is not accepted; accepted: a whole number >= 1");
        if (Batch < 1) throw new PlannerInputException($"--batch {Batch} is not accepted; accepted: a whole number >= 1");
        if (GradientBytes is not (2 or 4)) throw new PlannerInputException($"--grad-dtype of {GradientBytes} bytes is not accepted; accepted: bf16, fp32");
        if (TrainsAdapters && LoraRank < 1) throw new PlannerInputException($"--lora-rank {LoraRank} is not accepted; accepted: a whole number >= 1");
        if (ZeroStage > MaxZeroStage(Method))
            throw new PlannerInputException($"--method qlora with --zero {ZeroStage} is not supported: ZeRO-3 does not partition 4-bit base weights; " +
                "allowed: --method qlora with --zero 0, 1 or 2, or --method lora with --zero 3");
        if (Offload && ZeroStage == 0)
            throw new PlannerInputException("--offload with --zero 0 is not supported: offloading moves each rank's optimizer partition to CPU; " +
                "allowed: --offload with --zero 1, 2 or 3");
        return this;
    }

    /// <summary>The flags that select this plan, as a user would type them.</summary>
    public string Flags() =>
        $"--method {MethodName(Method)} --zero {ZeroStage} --gpus {Gpus} --seq {Sequence} --batch {Batch}" +
        (GradientCheckpointing ? " --grad-ckpt" : "") + (Offload ? " --offload" : "") +
        (GradientBytes == 4 ? " --grad-dtype fp32" : "") + (TrainsAdapters ? $" --lora-rank {LoraRank}" : "");
}
