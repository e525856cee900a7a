using Athanor.Models;
using Athanor.Tokenization;
using static TorchSharp.torch;

namespace Athanor.Evaluation;

/// <summary>Mean negative log-likelihood per predicted token over a text set, and its exponential.</summary>
public sealed record PerplexityResult(double MeanNll, long Tokens, int Texts)
{
    public double Perplexity => Math.Exp(MeanNll);
}

/// <summary>
/// Perplexity of {"text": ...} lines. Each text is prefixed with the tokenizer's bos (else eos) token so its first
/// token is predicted too, as lm-evaluation-harness does. A text longer than the context is scored with a sliding
/// window: windows of the context length that advance by half of it, each scoring only tokens not yet scored, so
/// every token is predicted once with at least half a context before it.
/// </summary>
public static class PerplexityTask
{
    public const string Layout = "{\"text\": ...}";

    public static PerplexityResult Run(CausalLM model, ITokenizer tokenizer, string path, int? contextLength = null, Action<int>? progress = null)
    {
        int context = contextLength ?? model.Config.MaxPositionEmbeddings;
        if (context < 2) throw new ArgumentException($"context length {context}: accepted: 2 or more tokens");
        double nll = 0;
        long tokens = 0;
        int texts = 0;
        foreach (var (line, record) in JsonlRecords.Read(path, Layout))
        {
            var text = JsonlRecords.Text(record, path, line, "text")
                ?? throw new EvalInputException($"{path}:{line}: \"text\" is missing; each line is {Layout}");
            if (text.Length == 0) continue;
            var (sum, count) = Score(model, Ids(tokenizer, text), context);
            nll -= sum;
            tokens += count;
            texts++;
            progress?.Invoke(texts);
        }
        if (tokens == 0) throw new EvalInputException($"{path}: no tokens to score; expected JSONL with one non-empty {Layout} per line");
        return new PerplexityResult(nll / tokens, tokens, texts);
    }

    public static int[] Ids(ITokenizer tokenizer, string text)
    {
        var ids = tokenizer.Encode(text, addSpecialTokens: false);
        return (tokenizer.BosTokenId ?? tokenizer.EosTokenId) is int prefix ? [prefix, .. ids] : [.. ids];
    }

    /// <summary>Sum of log p over ids[1..] and how many tokens that is, with windows of at most context tokens.</summary>
    public static (double LogLikelihood, long Tokens) Score(CausalLM model, IReadOnlyList<int> ids, int context)
    {
        int stride = Math.Max(1, context / 2);
        double sum = 0;
        int scoredUpTo = 1; // positions below this are scored (position 0 has nothing before it)
        using var _ = no_grad();
        for (int begin = 0; scoredUpTo < ids.Count; begin += stride)
        {
            int end = Math.Min(begin + context, ids.Count);
            if (end <= scoredUpTo) continue;
            var window = ids.Skip(begin).Take(end - begin).ToArray();
            using var scope = NewDisposeScope();
            var input = tensor(window.Select(i => (long)i).ToArray(), device: model.OutputWeight.device).unsqueeze(0);
            var logits = model.forward(input);
            sum += LogLikelihood.Continuation(logits[0], window, Math.Max(1, scoredUpTo - begin));
            scoredUpTo = end;
        }
        return (sum, Math.Max(0, ids.Count - 1));
    }
}
