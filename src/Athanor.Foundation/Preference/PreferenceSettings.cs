using Athanor.Configuration;

namespace Athanor.Preference;

/// <summary>What the trainer needs of a preference job (stage dpo or kto), mapped from its config in one place.</summary>
public sealed record PreferenceSettings
{
    public TrainingStage Stage { get; init; } = TrainingStage.Dpo;
    public PreferenceLoss Loss { get; init; } = PreferenceLoss.Sigmoid;
    public double Beta { get; init; } = 0.1;
    public double Ftx { get; init; }
    public double SimpoGamma { get; init; } = 0.5;
    public double LabelSmoothing { get; init; }
    public double KtoDesirableWeight { get; init; } = 1;
    public double KtoUndesirableWeight { get; init; } = 1;

    /// <summary>True when the loss compares against a reference model (all but ORPO and SimPO).</summary>
    public bool UsesReference => Stage == TrainingStage.Kto || Loss is not (PreferenceLoss.Orpo or PreferenceLoss.Simpo);

    /// <summary>IPO, ORPO and SimPO take per-token mean log-probabilities; DPO, hinge and KTO sums (LLaMA-Factory, TRL).</summary>
    public bool AveragesLogps => Stage == TrainingStage.Dpo && Loss is (PreferenceLoss.Ipo or PreferenceLoss.Orpo or PreferenceLoss.Simpo);

    /// <summary>The job's preference settings; null for stages sft and pt.</summary>
    public static PreferenceSettings? From(JobConfig config) => !config.IsPreferenceStage ? null : new()
    {
        Stage = config.Stage, Loss = config.PrefLoss, Beta = config.PrefBeta, Ftx = config.PrefFtx, SimpoGamma = config.SimpoGamma,
        LabelSmoothing = config.DpoLabelSmoothing, KtoDesirableWeight = config.KtoChosenWeight, KtoUndesirableWeight = config.KtoRejectedWeight,
    };
}
