using System.Diagnostics;
using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Inference;

/// <summary>
/// Batched decoding with a KV cache: the prompts of a batch (left-padded to the longest, with an attention
/// mask) run through the model once, then each step feeds only the newest token per row. Rows stop at a stop
/// token; the batch stops when every row has stopped or max new tokens is reached.
/// </summary>
public static class Decoding
{
    public static (IReadOnlyList<Completion> Completions, GenerationStats Stats) Generate(
        CausalLM model, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, int padTokenId = 0)
    {
        options = options.Validated();
        var config = model.Config;
        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i].Count == 0) throw new ArgumentException($"prompt {i + 1} is empty after tokenization; give it some text");
            if (prompts[i].Count >= config.MaxPositionEmbeddings)
                throw new ArgumentException($"prompt {i + 1} is {prompts[i].Count} tokens but the model's max_position_embeddings is " +
                    $"{config.MaxPositionEmbeddings}; shorten it to leave room for new tokens");
        }

        // Batching prompts of similar length wastes less on padding; results go back in the caller's order.
        var order = Enumerable.Range(0, prompts.Count).OrderBy(i => prompts[i].Count).ToArray();
        var results = new Completion[prompts.Count];
        var sampler = new TokenSampler(options);
        long promptTokens = 0, generated = 0;
        double prefill = 0, decode = 0;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            foreach (var chunk in order.Chunk(options.BatchSize))
            {
                var batch = chunk.Select(i => prompts[i]).ToArray();
                var (completions, stats) = GenerateBatch(model, batch, options, sampler, padTokenId);
                for (int j = 0; j < chunk.Length; j++) results[chunk[j]] = completions[j];
                promptTokens += stats.PromptTokens;
                generated += stats.GeneratedTokens;
                prefill += stats.PrefillSeconds;
                decode += stats.DecodeSeconds;
            }
        }
        finally
        {
            if (wasTraining) model.train();
        }
        return (results, new GenerationStats(promptTokens, generated, prefill, decode));
    }

    private static (Completion[], GenerationStats) GenerateBatch(CausalLM model, IReadOnlyList<int>[] prompts,
        GenerationOptions options, TokenSampler sampler, int padTokenId)
    {
        int rows = prompts.Length;
        int longest = prompts.Max(p => p.Count);
        int maxNew = Math.Min(options.MaxNewTokens, model.Config.MaxPositionEmbeddings - longest);
        var device = model.OutputWeight.device;

        var ids = new long[rows * longest];
        var mask = new long[rows * longest];
        for (int r = 0; r < rows; r++)
        {
            int pad = longest - prompts[r].Count;
            for (int t = 0; t < longest; t++)
            {
                bool real = t >= pad;
                ids[r * longest + t] = real ? prompts[r][t - pad] : padTokenId;
                mask[r * longest + t] = real ? 1 : 0;
            }
        }
        bool padded = prompts.Any(p => p.Count != longest);

        var outputs = Enumerable.Range(0, rows).Select(_ => new List<int>()).ToArray();
        var finished = new FinishReason?[rows];
        using var cache = new KvCache(model.Config, rows, longest + maxNew);
        var clock = Stopwatch.StartNew();
        long[] next;
        using (var scope = NewDisposeScope())
        {
            var input = tensor(ids, device: device).view(rows, longest);
            var attention = padded ? tensor(mask, device: device).view(rows, longest) : null;
            var hidden = model.Hidden(input, cache, attention);
            next = sampler.Next(model.Logits(hidden.select(1, longest - 1)));
        }
        double prefill = clock.Elapsed.TotalSeconds;
        clock.Restart();
        long generated = 0;
        for (int step = 0; ; step++)
        {
            for (int r = 0; r < rows; r++)
            {
                if (finished[r] is not null) continue;
                int token = (int)next[r];
                generated++;
                if (options.StopTokenIds.Contains(token)) finished[r] = FinishReason.Stop;
                else
                {
                    outputs[r].Add(token);
                    if (step + 1 >= maxNew) finished[r] = FinishReason.Length;
                }
            }
            if (finished.All(f => f is not null)) break;
            using var scope = NewDisposeScope();
            var input = tensor(next, device: device).view(rows, 1);
            var hidden = model.Hidden(input, cache);
            next = sampler.Next(model.Logits(hidden.select(1, 0)));
        }
        double decode = clock.Elapsed.TotalSeconds;
        var completions = new Completion[rows];
        for (int r = 0; r < rows; r++)
            completions[r] = new Completion(prompts[r].ToArray(), outputs[r].ToArray(), finished[r]!.Value);
        return (completions, new GenerationStats(prompts.Sum(p => (long)p.Count), generated, prefill, decode));
    }
}
