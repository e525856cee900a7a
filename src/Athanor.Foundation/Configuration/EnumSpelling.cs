namespace Athanor.Configuration;

/// <summary>The YAML spellings of one enum, used both to read and to write it.</summary>
internal sealed class EnumSpelling<T>(params (string Name, T Value)[] pairs) where T : struct, Enum
{
    /// <summary>"a, b or c", for messages.</summary>
    public string Accepted { get; } =
        string.Join(", ", pairs[..^1].Select(p => p.Name)) + " or " + pairs[^1].Name;

    public T? Parse(string text)
    {
        var t = text.Trim();
        foreach (var (name, value) in pairs)
            if (string.Equals(name, t, StringComparison.OrdinalIgnoreCase))
                return value;
        return null;
    }

    public string Name(T value)
    {
        foreach (var (name, v) in pairs)
            if (EqualityComparer<T>.Default.Equals(v, value))
                return name;
        throw new ArgumentOutOfRangeException(nameof(value), value, $"{typeof(T).Name} has no YAML spelling");
    }
}

/// <summary>The spellings of Athanor's configuration enums, as LLaMA-Factory and Hugging Face write them.</summary>
internal static class Spellings
{
    public static readonly EnumSpelling<TrainingStage> Stage = new(("sft", TrainingStage.Sft), ("pt", TrainingStage.Pt),
        ("dpo", TrainingStage.Dpo), ("kto", TrainingStage.Kto));

    // Preference training (issue 23): LLaMA-Factory's pref_loss choices.
    public static readonly EnumSpelling<PreferenceLoss> PreferenceLoss = new(
        ("sigmoid", Configuration.PreferenceLoss.Sigmoid), ("hinge", Configuration.PreferenceLoss.Hinge), ("ipo", Configuration.PreferenceLoss.Ipo),
        ("orpo", Configuration.PreferenceLoss.Orpo), ("simpo", Configuration.PreferenceLoss.Simpo));

    public static readonly EnumSpelling<FinetuningType> Finetuning =
        new(("full", FinetuningType.Full), ("lora", FinetuningType.Lora));

    public static readonly EnumSpelling<WeightInit> Init =
        new(("pretrained", WeightInit.Pretrained), ("random", WeightInit.Random));

    public static readonly EnumSpelling<LrSchedulerType> Scheduler = new(
        ("linear", LrSchedulerType.Linear), ("cosine", LrSchedulerType.Cosine),
        ("constant", LrSchedulerType.Constant), ("constant_with_warmup", LrSchedulerType.ConstantWithWarmup));

    public static readonly EnumSpelling<EvalStrategy> Eval =
        new(("no", EvalStrategy.No), ("steps", EvalStrategy.Steps), ("epoch", EvalStrategy.Epoch));

    public static readonly EnumSpelling<BadRecordPolicy> BadRecord =
        new(("error", BadRecordPolicy.Error), ("skip", BadRecordPolicy.Skip));
}
