namespace Athanor.Configuration;

/// <summary>The loss of stage dpo (<c>pref_loss</c>), as LLaMA-Factory names them.</summary>
public enum PreferenceLoss
{
    /// <summary>DPO (Rafailov et al. 2023), with optional label smoothing (robust DPO).</summary>
    Sigmoid,

    /// <summary>The hinge loss of SLiC on DPO's implicit reward margin.</summary>
    Hinge,

    /// <summary>IPO (Azar et al. 2023): squared distance of the log-ratio margin from 1 / (2 beta).</summary>
    Ipo,

    /// <summary>ORPO (Hong et al. 2024): SFT loss plus beta times the odds-ratio loss; reference-free.</summary>
    Orpo,

    /// <summary>SimPO (Meng et al. 2024): length-normalized margin against simpo_gamma; reference-free.</summary>
    Simpo,
}
