namespace Athanor.Lora;

/// <summary>LoRA hyper-parameters. Scaling is alpha / rank, or alpha / sqrt(rank) with rsLoRA.</summary>
public sealed record LoraSettings(int Rank, double Alpha, double Dropout, IReadOnlyList<string> TargetModules, bool UseRsLora = false)
{
    /// <summary>Every linear layer of a decoder block: what LLaMA-Factory's `lora_target: all` selects.</summary>
    public static readonly IReadOnlyList<string> AllLinear = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;
}
