using Athanor.Data;
using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>Next-token cross-entropy, summed over target tokens (labels != -100) so the caller decides the normalizer.</summary>
public static class CausalLmLoss
{
    /// <summary>Positions that count: labels shifted left by one (token t predicts label t+1).</summary>
    public static int CountTargets(TokenizedSample sample)
    {
        int n = 0;
        for (int i = 1; i < sample.Labels.Length; i++)
            if (sample.Labels[i] != TokenizedSample.IgnoreIndex) n++;
        return n;
    }

    /// <summary>
    /// Summed loss of a micro-batch: shifted labels, fp32 log-sum-exp, through <see cref="LmHeadCrossEntropy"/>
    /// so the full fp32 logits are never materialized.
    /// </summary>
    public static Tensor Sum(CausalLM model, Tensor inputIds, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var hidden = model.Hidden(inputIds);
        long t = inputIds.shape[1];
        var shifted = hidden.narrow(1, 0, t - 1).reshape(-1, hidden.shape[^1]);
        var targets = labels.narrow(1, 1, t - 1).reshape(-1);
        return LmHeadCrossEntropy.Sum(shifted, model.OutputWeight, targets, TokenizedSample.IgnoreIndex, model.Gradients).MoveToOuterDisposeScope();
    }

    /// <summary>The same loss through full logits and libtorch's cross_entropy: the reference the chunked path is tested against.</summary>
    public static Tensor SumUnchunked(CausalLM model, Tensor inputIds, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var hidden = model.Hidden(inputIds);
        long t = inputIds.shape[1];
        var logits = model.Logits(hidden.narrow(1, 0, t - 1)).to_type(ScalarType.Float32);
        var targets = labels.narrow(1, 1, t - 1);
        var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1),
            ignore_index: TokenizedSample.IgnoreIndex, reduction: nn.Reduction.Sum);
        return loss.MoveToOuterDisposeScope();
    }
}
