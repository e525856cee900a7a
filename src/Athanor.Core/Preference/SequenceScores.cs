using Athanor.Data;
using Athanor.Models;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Preference;

/// <summary>
/// Per-sequence numbers of one forward over a batch of sequences (right-padded, each its own row, so no sequence sees
/// another): the log-probability of its target tokens summed (differentiable when the forward is), the count of those
/// tokens, and the mean logit at those positions over the vocabulary (metrics).
/// </summary>
public sealed record SequenceScores(Tensor Logps, Tensor Counts, Tensor MeanLogits) : IDisposable
{
    /// <summary>The per-token mean log-probability (IPO, ORPO and SimPO use it).</summary>
    public Tensor MeanLogps() => Logps / Counts;

    public static SequenceScores Of(CausalLM model, Tensor inputIds, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var hidden = model.Hidden(inputIds);
        long t = inputIds.shape[1];
        var shifted = hidden.narrow(1, 0, t - 1);
        var targets = labels.narrow(1, 1, t - 1);
        // Each row through the chunked LM-head loss: full fp32 logits never exist, and each row's sum stays its own.
        var rows = new List<Tensor>((int)inputIds.shape[0]);
        for (long r = 0; r < inputIds.shape[0]; r++)
            rows.Add(-LmHeadCrossEntropy.Sum(shifted[r], model.OutputWeight, targets[r], TokenizedSample.IgnoreIndex, model.Gradients));
        var logps = stack(rows);
        var mask = targets.ne(TokenizedSample.IgnoreIndex);
        var counts = mask.sum(1).to_type(ScalarType.Float32).clamp_min(1);
        Tensor meanLogits;
        using (no_grad())
        {
            // The mean over the vocabulary of h . w_v is h . mean(w): no logits needed.
            var meanWeight = model.OutputWeight.detach().to_type(ScalarType.Float32).mean([0]);
            // linear, not matmul: TorchSharp's matmul entry point lets a libtorch error end the process (NativeBoundaryTests).
            var perToken = nn.functional.linear(shifted.detach().to_type(ScalarType.Float32), meanWeight.unsqueeze(0)).squeeze(-1);
            meanLogits = perToken.masked_fill(mask.logical_not(), 0).sum(1) / counts;
        }
        return new SequenceScores(logps.MoveToOuterDisposeScope(), counts.MoveToOuterDisposeScope(), meanLogits.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        Logps.Dispose();
        Counts.Dispose();
        MeanLogits.Dispose();
    }
}
