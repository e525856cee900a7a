using Athanor.Configuration;
using Athanor.Data;
using Athanor.Models;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Preference;

/// <summary>
/// The training objective of stages dpo and kto for one micro-batch of preference rows: chosen and rejected (or
/// completion and KL completion) scored in one concatenated forward, the reference's log-probabilities beside them
/// (none for ORPO and SimPO), the loss of each pair from <see cref="PreferenceLosses"/> plus pref_ftx times the SFT
/// loss on the chosen response, and the step's metrics. <see cref="LossSum"/> is summed over the micro-batch's pairs;
/// the trainer divides by the pairs of the whole global step, so accumulation and ranks do not change the update.
/// </summary>
public sealed class PreferenceObjective(CausalLM model, PreferenceSettings settings, IReferenceModel? reference)
{
    public PreferenceSettings Settings => settings;

    /// <summary>The metrics of the micro-batches since the last <see cref="PreferenceMetrics.Take"/>.</summary>
    public PreferenceMetrics Metrics { get; } = new();

    /// <summary>The summed loss of the rows' pairs (differentiable), metrics recorded into <paramref name="metrics"/> (default <see cref="Metrics"/>).</summary>
    public Tensor LossSum(IReadOnlyList<TokenizedSample> rows, int padId, Device device, PreferenceMetrics? metrics = null)
    {
        var into = metrics ?? Metrics;
        using var scope = NewDisposeScope();
        var (sequences, n) = PreferenceBatch.Sequences(rows);
        using var batch = MicroBatch.Build(sequences, padId, device);
        // The reference first: ZeRO-3 gathers a layer's parameters in place for each forward, so a second forward between
        // the policy's and its backward would change tensors the policy's graph saved.
        var referenceLogps = settings.UsesReference
            ? (reference ?? throw new InvalidOperationException($"pref_loss {settings.Loss} needs a reference model")).Logps(rows, batch.InputIds, batch.Labels)
            : null;
        var policy = SequenceScores.Of(model, batch.InputIds, batch.Labels);
        var loss = settings.Stage == TrainingStage.Kto
            ? Kto(settings, rows, n, policy, referenceLogps!, into)
            : Pairs(settings, n, policy, referenceLogps, into);
        return loss.MoveToOuterDisposeScope();
    }

    private static Tensor Pairs(PreferenceSettings settings, int n, SequenceScores policy, Tensor? referenceLogps, PreferenceMetrics metrics)
    {
        var policyLogps = settings.AveragesLogps ? policy.MeanLogps() : policy.Logps;
        Tensor pc = policyLogps.narrow(0, 0, n), pr = policyLogps.narrow(0, n, n);
        PairLosses result;
        if (referenceLogps is not null)
        {
            var referenceScaled = settings.AveragesLogps ? referenceLogps / policy.Counts : referenceLogps;
            result = PreferenceLosses.WithReference(settings.Loss, pc, pr, referenceScaled.narrow(0, 0, n), referenceScaled.narrow(0, n, n),
                settings.Beta, settings.LabelSmoothing);
        }
        else result = PreferenceLosses.ReferenceFree(settings.Loss, pc, pr, settings.Beta, settings.SimpoGamma);

        var losses = result.Losses;
        // LLaMA-Factory's sft_loss: the chosen response's mean NLL per token.
        var sft = -(policy.Logps.narrow(0, 0, n) / policy.Counts.narrow(0, 0, n));
        if (settings.Ftx > 0) losses = losses + settings.Ftx * sft;

        using (no_grad())
        {
            var chosen = result.ChosenRewards;
            var rejected = result.RejectedRewards;
            metrics.Add("rewards/chosen", chosen);
            metrics.Add("rewards/rejected", rejected);
            metrics.Add("rewards/accuracies", chosen.gt(rejected).to_type(ScalarType.Float64));
            metrics.Add("rewards/margins", chosen - rejected);
            metrics.Add("logps/chosen", pc.detach());
            metrics.Add("logps/rejected", pr.detach());
            metrics.Add("logits/chosen", policy.MeanLogits.narrow(0, 0, n));
            metrics.Add("logits/rejected", policy.MeanLogits.narrow(0, n, n));
            if (settings.Ftx > 0 || settings.Loss == PreferenceLoss.Orpo) metrics.Add("sft_loss", sft.detach());
        }
        return losses.sum();
    }

    private static Tensor Kto(PreferenceSettings settings, IReadOnlyList<TokenizedSample> rows, int n, SequenceScores policy, Tensor referenceLogps, PreferenceMetrics metrics)
    {
        var desirable = PreferenceBatch.Desirable(rows);
        using var desirableMask = tensor(desirable).to(policy.Logps.device);
        var p = policy.Logps.narrow(0, 0, n);
        var (result, kl) = PreferenceLosses.Kto(p, referenceLogps.narrow(0, 0, n), policy.Logps.narrow(0, n, n).detach(), referenceLogps.narrow(0, n, n),
            desirableMask, settings.Beta, settings.KtoDesirableWeight, settings.KtoUndesirableWeight);
        var losses = result.Losses;
        var sft = -(p / policy.Counts.narrow(0, 0, n));
        if (settings.Ftx > 0) losses = losses + settings.Ftx * sft * desirableMask.to_type(sft.dtype);

        using (no_grad())
        {
            int good = desirable.Count(d => d), bad = n - good;
            var rewards = result.ChosenRewards.to_type(ScalarType.Float64);
            var logps = p.detach().to_type(ScalarType.Float64);
            var keep = desirableMask.to_type(ScalarType.Float64);
            var drop = 1 - keep;
            metrics.Add("rewards/chosen", (rewards * keep).sum().item<double>(), good);
            metrics.Add("rewards/rejected", (rewards * drop).sum().item<double>(), bad);
            metrics.Add("logps/chosen", (logps * keep).sum().item<double>(), good);
            metrics.Add("logps/rejected", (logps * drop).sum().item<double>(), bad);
            metrics.Add("kl", kl, 1);
            if (settings.Ftx > 0) metrics.Add("sft_loss", (sft.detach().to_type(ScalarType.Float64) * keep).sum().item<double>(), good);
        }
        return losses.sum();
    }
}
