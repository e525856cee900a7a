namespace Athanor.Configuration;

/// <summary>
/// The keys of preference training (issue 23), as LLaMA-Factory has them, and which stage each belongs to: a key set
/// for a stage it does not belong to is an error (<see cref="CheckStage"/>), and the writer emits a key only for its
/// stages, so an SFT job's written config never carries them.
/// </summary>
internal static class PreferenceKeys
{
    private static bool DpoOrKto(JobConfig c) => c.IsPreferenceStage;
    private static bool Dpo(JobConfig c) => c.Stage == TrainingStage.Dpo;
    private static bool Kto(JobConfig c) => c.Stage == TrainingStage.Kto;
    // The loss-specific keys are written only with their loss, so a written config reads back without the errors below.
    private static bool Simpo(JobConfig c) => Dpo(c) && c.PrefLoss == PreferenceLoss.Simpo;
    private static bool Sigmoid(JobConfig c) => Dpo(c) && c.PrefLoss == PreferenceLoss.Sigmoid;

    public static readonly IReadOnlyList<ConfigKey> All =
    [
        ConfigKeys.Enum("method", "pref_loss", Spellings.PreferenceLoss, (c, v) => c with { PrefLoss = v }, c => c.PrefLoss) with { WrittenWhen = Dpo },
        ConfigKeys.Double("method", "pref_beta", "a number > 0 such as 0.1", (c, v) => c with { PrefBeta = v }, c => c.PrefBeta) with { WrittenWhen = DpoOrKto },
        ConfigKeys.Double("method", "pref_ftx", "a number >= 0 such as 0 (the SFT loss weight)", (c, v) => c with { PrefFtx = v }, c => c.PrefFtx) with { WrittenWhen = DpoOrKto },
        ConfigKeys.Double("method", "simpo_gamma", "a number >= 0 such as 0.5", (c, v) => c with { SimpoGamma = v }, c => c.SimpoGamma) with { WrittenWhen = Simpo },
        ConfigKeys.Double("method", "dpo_label_smoothing", "a number in [0, 0.5] such as 0", (c, v) => c with { DpoLabelSmoothing = v }, c => c.DpoLabelSmoothing) with { WrittenWhen = Sigmoid },
        ConfigKeys.Double("method", "kto_chosen_weight", "a number > 0 such as 1.0", (c, v) => c with { KtoChosenWeight = v }, c => c.KtoChosenWeight) with { WrittenWhen = Kto },
        ConfigKeys.Double("method", "kto_rejected_weight", "a number > 0 such as 1.0", (c, v) => c with { KtoRejectedWeight = v }, c => c.KtoRejectedWeight) with { WrittenWhen = Kto },
    ];

    private static bool BelongsToStage(string key, TrainingStage stage) => key switch
    {
        "pref_beta" or "pref_ftx" => stage is TrainingStage.Dpo or TrainingStage.Kto,
        "kto_chosen_weight" or "kto_rejected_weight" => stage == TrainingStage.Kto,
        _ => stage == TrainingStage.Dpo,
    };

    /// <summary>Stages each preference key belongs to, for messages.</summary>
    private static string StagesOf(string key) => key switch
    {
        "pref_beta" or "pref_ftx" => "stage dpo or kto",
        "kto_chosen_weight" or "kto_rejected_weight" => "stage kto",
        _ => "stage dpo",
    };

    /// <summary>
    /// Throws for the first preference key that was set (in the file or by --set) for a stage it does not belong to,
    /// and for the loss-specific keys set with another pref_loss.
    /// </summary>
    /// <param name="isSet">whether the key was given, and the error to throw at its line</param>
    public static void CheckStage(JobConfig config, Func<string, Func<string, ConfigException>?> isSet)
    {
        var stage = Spellings.Stage.Name(config.Stage);
        foreach (var key in All)
        {
            if (isSet(key.Name) is not { } error || BelongsToStage(key.Name, config.Stage)) continue;
            throw error($"belongs to {StagesOf(key.Name)}; this job has stage {stage}; remove the key or change stage");
        }
        if (config.Stage != TrainingStage.Dpo) return;
        var loss = Spellings.PreferenceLoss.Name(config.PrefLoss);
        if (config.PrefLoss != PreferenceLoss.Simpo && isSet("simpo_gamma") is { } gamma)
            throw gamma($"is SimPO's margin; this job has pref_loss {loss}; remove the key or set pref_loss: simpo");
        if (config.PrefLoss != PreferenceLoss.Sigmoid && config.DpoLabelSmoothing != 0 && isSet("dpo_label_smoothing") is { } smoothing)
            throw smoothing($"applies to pref_loss sigmoid only; this job has pref_loss {loss}; remove the key or set pref_loss: sigmoid");
    }
}
