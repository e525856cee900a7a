namespace Athanor.Estimation;

/// <summary>The --model presets: Llama 2 7B/13B and LLaMA 30B/65B with their published shapes (vocab 32000, untied embeddings).</summary>
public static class ModelPresets
{
    private static readonly (string Name, string Description, ModelShape Shape)[] All =
    [
        ("7b", "Llama-2 7B", new ModelShape(Hidden: 4096, Intermediate: 11008, Layers: 32, Heads: 32, KvHeads: 32, HeadDim: 128, Vocab: 32000)),
        ("13b", "Llama-2 13B", new ModelShape(Hidden: 5120, Intermediate: 13824, Layers: 40, Heads: 40, KvHeads: 40, HeadDim: 128, Vocab: 32000)),
        ("30b", "LLaMA 30B", new ModelShape(Hidden: 6656, Intermediate: 17920, Layers: 60, Heads: 52, KvHeads: 52, HeadDim: 128, Vocab: 32000)),
        ("65b", "LLaMA 65B", new ModelShape(Hidden: 8192, Intermediate: 22016, Layers: 80, Heads: 64, KvHeads: 64, HeadDim: 128, Vocab: 32000)),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(p => p.Name).ToArray();

    public static ModelSpec? Find(string name)
    {
        foreach (var p in All)
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                return new ModelSpec(p.Name, p.Description, p.Shape, p.Shape.ParameterCount, ShapeInferred: false);
        return null;
    }

    public static ModelSpec Get(string name) => Find(name)
        ?? throw new PlannerInputException($"--model '{name}' is not a preset; presets: {string.Join(", ", Names)} (or a Hugging Face model folder)");
}
