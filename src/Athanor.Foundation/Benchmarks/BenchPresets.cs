using Athanor.Models;

namespace Athanor.Benchmarks;

/// <summary>The model shapes of shared/reference/torch_llama_bench.py, so both benchmarks time the same work.</summary>
public static class BenchPresets
{
    // name: (hidden, layers, heads, kv_heads, ffn, vocab)
    public static readonly IReadOnlyDictionary<string, (int Hidden, int Layers, int Heads, int KvHeads, int Ffn, int Vocab)> All =
        new Dictionary<string, (int, int, int, int, int, int)>
        {
            ["tiny"] = (256, 4, 8, 4, 688, 32000),
            ["160m"] = (768, 12, 12, 12, 2048, 32000),
            ["1b"] = (2048, 16, 32, 8, 5632, 32000),
            ["3b"] = (3072, 26, 24, 8, 8192, 32000),
            ["7b"] = (4096, 32, 32, 32, 11008, 32000),
            ["8b"] = (4096, 32, 32, 8, 14336, 128256),
        };

    public static ModelConfig Config(string preset)
    {
        if (!All.TryGetValue(preset, out var p))
            throw new ArgumentException($"--preset '{preset}' is not known; accepted: {string.Join(", ", All.Keys)}");
        return new ModelConfig
        {
            ModelType = "llama", HiddenSize = p.Hidden, IntermediateSize = p.Ffn, NumLayers = p.Layers, NumHeads = p.Heads,
            NumKeyValueHeads = p.KvHeads, HeadDim = p.Hidden / p.Heads, VocabSize = p.Vocab, RmsNormEps = 1e-5,
            Rope = new RopeSettings(500000.0), TieWordEmbeddings = false, MaxPositionEmbeddings = 1 << 16,
        };
    }
}
