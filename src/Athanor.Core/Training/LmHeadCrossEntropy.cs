using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Athanor.Training;

/// <summary>
/// Summed next-token cross-entropy of hidden states through the output projection, walked over the rows in
/// chunks so the full [tokens, vocab] fp32 logits never exist (about 2 GB per 4k tokens at a 128k vocabulary,
/// plus as much again for their gradient). Each chunk's logits are made in the weight's dtype, turned fp32
/// for the log-sum-exp, and their gradient (softmax minus one-hot) is folded into the hidden-state and weight
/// gradients right away, so backward only scales what forward computed.
/// </summary>
public sealed class LmHeadCrossEntropy : MultiTensorFunction<LmHeadCrossEntropy>
{
    /// <summary>fp32 logits of one chunk stay under this many elements (LmHeadChunk: the planner prices the same).</summary>
    public const long ChunkElements = LmHeadChunk.Elements;

    public override string Name => "AthanorLmHeadCrossEntropy";

    /// <summary>Summed loss over targets != ignoreIndex. hidden [N, H], weight [V, H], targets [N] (int64).</summary>
    /// <param name="gradients">the owner that keeps what backward hands back until it is released (the model's)</param>
    public static Tensor Sum(Tensor hidden, Tensor weight, Tensor targets, long ignoreIndex, BackwardResults gradients, long chunkElements = ChunkElements) =>
        apply(hidden, weight, targets, ignoreIndex, chunkElements, gradients)[0];

    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        BackwardResults.RememberInputs(ctx, vars);
        var hidden = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        var targets = (Tensor)vars[2];
        long ignoreIndex = (long)vars[3];
        bool wantHidden = hidden.requires_grad, wantWeight = weight.requires_grad;
        long n = hidden.shape[0], vocab = weight.shape[0];
        long rows = Math.Max(1, (long)vars[4] / vocab);

        var total = zeros([], ScalarType.Float32, hidden.device);
        var hiddenGrad = wantHidden ? empty_like(hidden).DetachFromDisposeScope() : null;
        var weightGrad = wantWeight ? zeros(weight.shape, ScalarType.Float32, weight.device).DetachFromDisposeScope() : null;
        for (long start = 0; start < n; start += rows)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(rows, n - start);
            var h = hidden.narrow(0, start, count);
            var t = targets.narrow(0, start, count);
            var valid = t.ne(ignoreIndex);
            var index = t.masked_fill(valid.logical_not(), 0).unsqueeze(1);
            var logits = h.mm(weight.t()).to_type(ScalarType.Float32);
            var lse = logits.logsumexp(1, keepdim: true);
            var picked = logits.gather(1, index);
            total.add_((lse - picked).squeeze(1).masked_fill(valid.logical_not(), 0).sum());
            if (!wantHidden && !wantWeight) continue;
            // d(loss)/d(logits) = softmax - one_hot(target), zero on ignored rows; computed in place over the logits.
            var grad = logits.sub_(lse).exp_();
            grad.scatter_add_(1, index, full_like(picked, -1.0));
            grad.mul_(valid.unsqueeze(1).to_type(ScalarType.Float32));
            var g = grad.to_type(weight.dtype);
            if (hiddenGrad is not null)
                using (var dst = hiddenGrad.narrow(0, start, count)) dst.copy_(g.mm(weight));
            if (weightGrad is not null) weightGrad.add_(g.t().mm(h));
        }
        ctx.save_data("grads", (hiddenGrad, weightGrad, weight.dtype));
        return [total];
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs) =>
        BackwardResults.Guarded(ctx, gradOutputs, () => Scale(ctx, gradOutputs));

    private static List<Tensor> Scale(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        var (hiddenGrad, weightGrad, weightType) = ((Tensor?, Tensor?, ScalarType))ctx.get_data("grads");
        var scale = gradOutputs[0];
        Tensor? dh = null, dw = null;
        if (hiddenGrad is not null)
        {
            dh = hiddenGrad * scale.to_type(hiddenGrad.dtype);
            hiddenGrad.Dispose();
        }
        if (weightGrad is not null)
        {
            weightGrad.mul_(scale);
            // to_type hands back the same tensor when the dtype already matches: only a converted copy frees the fp32 sum.
            dw = weightGrad.dtype == weightType ? weightGrad : weightGrad.to_type(weightType);
            if (!ReferenceEquals(dw, weightGrad)) weightGrad.Dispose();
        }
        return [dh!, dw!, null!, null!, null!];
    }
}
