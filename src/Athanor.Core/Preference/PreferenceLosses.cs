using Athanor.Configuration;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Athanor.Preference;

/// <summary>Per-pair losses and the implicit rewards they imply (rewards are detached: metrics only).</summary>
public sealed record PairLosses(Tensor Losses, Tensor ChosenRewards, Tensor RejectedRewards) : IDisposable
{
    public void Dispose()
    {
        Losses.Dispose();
        ChosenRewards.Dispose();
        RejectedRewards.Dispose();
    }
}

/// <summary>
/// The preference losses as pure functions of sequence log-probabilities (vectors with one entry per pair or example),
/// written from the published formulas as TRL's DPOTrainer/KTOTrainer and LLaMA-Factory's CustomDPOTrainer define them:
/// <list type="bullet">
/// <item>sigmoid (DPO, Rafailov et al. 2023): with z = beta * ((pc - pr) - (rc - rr)),
/// loss = -(1 - eps) log sigmoid(z) - eps log sigmoid(-z) (eps: dpo_label_smoothing, robust DPO).</item>
/// <item>hinge (SLiC on DPO's margin): relu(1 - z).</item>
/// <item>ipo (Azar et al. 2023): ((pc - pr) - (rc - rr) - 1 / (2 beta))^2, on per-token mean log-probabilities.</item>
/// <item>orpo (Hong et al. 2024): -pc + beta * -log sigmoid(log odds(pc) - log odds(pr)), log odds(p) = p - log(1 - e^p),
/// on mean log-probabilities; no reference.</item>
/// <item>simpo (Meng et al. 2024): -log sigmoid(beta (pc - pr) - gamma), on mean log-probabilities; no reference.</item>
/// <item>kto (Ethayarajh et al. 2024): z0 = max(0, mean(KL policy - KL reference)) detached; desirable:
/// w_d (1 - sigmoid(beta (p - r - z0))), undesirable: w_u (1 - sigmoid(beta (z0 - (p - r)))).</item>
/// </list>
/// Rewards: beta (p - r) with a reference, beta p without one (LLaMA-Factory's reference-free rewards).
/// </summary>
public static class PreferenceLosses
{
    /// <summary>The reference-based pair losses (sigmoid, hinge, ipo).</summary>
    public static PairLosses WithReference(PreferenceLoss loss, Tensor policyChosen, Tensor policyRejected, Tensor referenceChosen, Tensor referenceRejected,
        double beta, double labelSmoothing = 0)
    {
        using var scope = NewDisposeScope();
        var logits = (policyChosen - policyRejected) - (referenceChosen - referenceRejected);
        var losses = loss switch
        {
            PreferenceLoss.Sigmoid => -F.logsigmoid(beta * logits) * (1 - labelSmoothing) - F.logsigmoid(-beta * logits) * labelSmoothing,
            PreferenceLoss.Hinge => F.relu(1 - beta * logits),
            PreferenceLoss.Ipo => (logits - 1 / (2 * beta)).square(),
            _ => throw new ArgumentException($"pref_loss {loss} needs no reference; use {nameof(ReferenceFree)}", nameof(loss)),
        };
        using var _ = no_grad();
        var chosenRewards = (beta * (policyChosen - referenceChosen)).detach();
        var rejectedRewards = (beta * (policyRejected - referenceRejected)).detach();
        return Keep(new PairLosses(losses, chosenRewards, rejectedRewards));
    }

    /// <summary>The reference-free pair losses (orpo, simpo), on per-token mean log-probabilities.</summary>
    public static PairLosses ReferenceFree(PreferenceLoss loss, Tensor policyChosen, Tensor policyRejected, double beta, double simpoGamma = 0.5)
    {
        using var scope = NewDisposeScope();
        var losses = loss switch
        {
            PreferenceLoss.Orpo => -policyChosen + beta * -F.logsigmoid(LogOdds(policyChosen) - LogOdds(policyRejected)),
            PreferenceLoss.Simpo => -F.logsigmoid(beta * (policyChosen - policyRejected) - simpoGamma),
            _ => throw new ArgumentException($"pref_loss {loss} compares against a reference; use {nameof(WithReference)}", nameof(loss)),
        };
        using var _ = no_grad();
        return Keep(new PairLosses(losses, (beta * policyChosen).detach(), (beta * policyRejected).detach()));
    }

    /// <summary>KTO's per-example losses; the rewards of undesirable examples are in <see cref="PairLosses.RejectedRewards"/> (both full length, each valid where its tag says).</summary>
    /// <param name="desirable">bool per example</param>
    /// <param name="klPolicy">policy log-probabilities of the mismatched (KL) completions</param>
    /// <param name="klReference">reference log-probabilities of the same</param>
    public static (PairLosses Losses, double Kl) Kto(Tensor policy, Tensor reference, Tensor klPolicy, Tensor klReference, Tensor desirable,
        double beta, double desirableWeight = 1, double undesirableWeight = 1)
    {
        using var scope = NewDisposeScope();
        Tensor kl;
        using (no_grad()) kl = (klPolicy - klReference).mean().clamp_min(0).detach();
        var ratio = policy - reference;
        var chosen = desirableWeight * (1 - F.sigmoid(beta * (ratio - kl)));
        var rejected = undesirableWeight * (1 - F.sigmoid(beta * (kl - ratio)));
        var losses = where(desirable, chosen, rejected);
        Tensor rewards;
        using (no_grad()) rewards = (beta * ratio).detach();
        double klValue = kl.to_type(ScalarType.Float64).item<double>();
        return (Keep(new PairLosses(losses, rewards.clone(), rewards)), klValue);
    }

    /// <summary>log(p / (1 - p)) of a log-probability: x - log(1 - e^x).</summary>
    private static Tensor LogOdds(Tensor logp) => logp - (-logp.exp()).log1p();

    private static PairLosses Keep(PairLosses result)
    {
        result.Losses.MoveToOuterDisposeScope();
        result.ChosenRewards.MoveToOuterDisposeScope();
        result.RejectedRewards.MoveToOuterDisposeScope();
        return result;
    }
}
