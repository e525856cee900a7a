using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Evaluation;

/// <summary>Log-likelihoods of token continuations, the score behind multiple choice and perplexity.</summary>
public static class LogLikelihood
{
    /// <summary>
    /// Sum of log p(ids[i] | ids[..i]) for i in [start, T), from logits [T, V] of ids [T] (logits[i] predicts
    /// ids[i + 1]). Computed with log-softmax in fp32 and summed in double.
    /// </summary>
    public static double Continuation(Tensor logits, IReadOnlyList<int> ids, int start)
    {
        if (start < 1 || start > ids.Count) throw new ArgumentOutOfRangeException(nameof(start), start, $"start must be in [1, {ids.Count}] (position 0 has no prediction)");
        if (start == ids.Count) return 0;
        using var scope = NewDisposeScope();
        int count = ids.Count - start;
        var rows = logits.narrow(0, start - 1, count).to_type(ScalarType.Float32).log_softmax(-1);
        var targets = tensor(ids.Skip(start).Select(i => (long)i).ToArray(), device: logits.device).unsqueeze(1);
        var picked = rows.gather(1, targets).to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        double sum = 0;
        foreach (var p in picked) sum += p;
        return sum;
    }

    /// <summary>
    /// log p(continuation | context) for each continuation. When every continuation is one token (" A", " B"...)
    /// one forward pass over the context scores them all; otherwise context + continuation rows run as one batch.
    /// </summary>
    public static double[] Choices(CausalLM model, IReadOnlyList<int> context, IReadOnlyList<IReadOnlyList<int>> continuations)
    {
        if (context.Count == 0) throw new ArgumentException("the context is empty; a continuation needs at least one token before it");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var device = model.OutputWeight.device;
        if (continuations.All(c => c.Count == 1))
        {
            var input = tensor(context.Select(i => (long)i).ToArray(), device: device).unsqueeze(0);
            var hidden = model.Hidden(input);
            var last = model.Logits(hidden.select(1, context.Count - 1)).to_type(ScalarType.Float32).log_softmax(-1)[0];
            var values = last.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
            return continuations.Select(c => values[c[0]]).ToArray();
        }
        int longest = context.Count + continuations.Max(c => c.Count);
        var ids = new long[continuations.Count * longest];
        var rows = new List<int[]>();
        for (int r = 0; r < continuations.Count; r++)
        {
            int[] row = [.. context, .. continuations[r]];
            rows.Add(row);
            for (int t = 0; t < row.Length; t++) ids[r * longest + t] = row[t]; // right padding: causal, so harmless
        }
        var logits = model.forward(tensor(ids, device: device).view(continuations.Count, longest));
        return rows.Select((row, r) => Continuation(logits[r], row, context.Count)).ToArray();
    }
}
