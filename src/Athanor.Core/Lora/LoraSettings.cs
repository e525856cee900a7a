namespace Athanor.Lora;

/// <summary>LoRA hyper-parameters. Scaling is alpha / rank, or alpha / sqrt(rank) with rsLoRA.</summary>
public sealed record LoraSettings(int Rank, double Alpha, double Dropout, IReadOnlyList<string> TargetModules, bool UseRsLora = false)
{
    /// <summary>Every linear layer of a decoder block: what LLaMA-Factory's `lora_target: all` selects.</summary>
    public static readonly IReadOnlyList<string> AllLinear = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    /// <summary>Parses LLaMA-Factory's lora_target: "all" or a comma list of module names.</summary>
    public static IReadOnlyList<string> ParseTargets(string value)
    {
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 1 && names[0] == "all") return AllLinear;
        foreach (var n in names)
            if (!AllLinear.Contains(n))
                throw new ArgumentException($"lora_target: '{n}' is not a linear module of a Llama-family block; accepted: all, or a comma list of {string.Join(", ", AllLinear)}");
        if (names.Length == 0) throw new ArgumentException("lora_target is empty; accepted: all, or a comma list of " + string.Join(", ", AllLinear));
        return names;
    }
}
