namespace Athanor.Models;

/// <summary>Which of a model's ops run as Athanor's fused CUDA kernels instead of plain libtorch ops.</summary>
public sealed record KernelPlan(bool RmsNorm, bool Rotary, bool SwiGlu)
{
    /// <summary>Plain libtorch everywhere: the default, and what CPUs always get.</summary>
    public static readonly KernelPlan None = new(false, false, false);

    public override string ToString() =>
        $"RMSNorm {(RmsNorm ? "fused" : "unfused")}, rotary {(Rotary ? "fused" : "unfused")}, SwiGLU {(SwiGlu ? "fused" : "unfused")}";
}

/// <summary>
/// The kernel plan of one model instance, shared by its layers and set from outside before training
/// (Kernels.KernelPlanner measures it on the model's GPU): the model code itself stays single-device.
/// </summary>
/// <param name="gradients">the model's owner of what the fused kernels' backward returns (<see cref="CausalLM.Gradients"/>)</param>
public sealed class ModelKernels(Training.BackwardResults gradients)
{
    /// <summary>The owner the fused kernels are applied with, so their backward results are released with the model's.</summary>
    public Training.BackwardResults Gradients { get; } = gradients;

    public KernelPlan Plan { get; set; } = KernelPlan.None;
}
