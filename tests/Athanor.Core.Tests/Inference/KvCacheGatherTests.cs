using Athanor.Inference;
using Athanor.Models;
using Athanor.Tests.Models;
using static TorchSharp.torch;

namespace Athanor.Tests.Inference;

/// <summary>
/// Continuous batching's cache (issue 26): sequences prefilled alone, gathered into one batch at different lengths,
/// joined and dropped between steps, decode the same greedy tokens as each prompt alone.
/// </summary>
[Collection(nameof(Athanor.Tests.Inference.TorchRngCollection))]
public class KvCacheGatherTests
{
    private static readonly int[][] Prompts = [[250, 82, 23], [280, 139, 134, 41, 62, 135, 296, 64, 9, 17], [5], [77, 78, 79, 80, 81]];

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen3")]
    public void RowsThatJoinAndLeaveDecodeAsAlone(string family)
    {
        using var model = Golden.LoadModel(family);
        const int steps = 10;
        var alone = Prompts.Select(p => Decoding.Generate(model, [p], new GenerationOptions { MaxNewTokens = steps }).Completions[0].TokenIds).ToArray();
        using var _ = no_grad();
        var outputs = Prompts.Select(_ => new List<long>()).ToArray();

        // Prompt 0 runs alone for three tokens; 1 and 2 join; after two more steps 3 joins and 1 leaves.
        var cache = Prefill(model, 0, outputs);
        var rows = new List<int> { 0 };
        for (int s = 0; s < 2; s++) Step(model, cache, rows, outputs);
        cache = Join(model, cache, rows, [1, 2], outputs);
        for (int s = 0; s < 2; s++) Step(model, cache, rows, outputs);
        cache = Join(model, cache, rows, [3], outputs);
        using (var old = cache) cache = KvCache.Gather([(old, 0), (old, 2), (old, 3)], 4);
        rows.Remove(1);
        while (outputs[3].Count < steps) Step(model, cache, rows, outputs);
        cache.Dispose();

        Assert.Equal(alone[1][..outputs[1].Count].Select(t => (long)t), outputs[1]);
        foreach (int i in new[] { 0, 2, 3 })
            Assert.Equal(alone[i].Select(t => (long)t), outputs[i].Take(alone[i].Length));
        Assert.True(outputs[0].Count > steps, "prompt 0 went on decoding in the batch");
    }

    private static KvCache Prefill(CausalLM model, int prompt, List<long>[] outputs)
    {
        var cache = new KvCache(model.Config, 1, Prompts[prompt].Length);
        using var scope = NewDisposeScope();
        var input = tensor(Prompts[prompt].Select(t => (long)t).ToArray()).view(1, -1);
        var logits = model.Logits(model.Hidden(input, cache).select(1, -1));
        outputs[prompt].Add(logits.argmax(-1).item<long>());
        return cache;
    }

    private static KvCache Join(CausalLM model, KvCache running, List<int> rows, int[] joining, List<long>[] outputs)
    {
        var caches = joining.Select(p => Prefill(model, p, outputs)).ToList();
        var gathered = KvCache.Gather([.. rows.Select((_, i) => (running, i)), .. caches.Select(c => (c, 0))], 2);
        running.Dispose();
        foreach (var c in caches) c.Dispose();
        rows.AddRange(joining);
        return gathered;
    }

    private static void Step(CausalLM model, KvCache cache, List<int> rows, List<long>[] outputs)
    {
        using var scope = NewDisposeScope();
        var input = tensor(rows.Select(r => outputs[r][^1]).ToArray()).view(rows.Count, 1);
        var next = model.Logits(model.Hidden(input, cache).select(1, 0)).argmax(-1).data<long>().ToArray();
        for (int i = 0; i < rows.Count; i++) outputs[rows[i]].Add(next[i]);
    }
}
