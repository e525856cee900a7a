using System.Text.Json.Nodes;
using Athanor.Inference;
using Athanor.Tests.Models;

namespace Athanor.Tests.Inference;

/// <summary>Greedy KV-cache decoding against transformers' generate() on the same weights (generate.json goldens).</summary>
[Collection(nameof(Athanor.Tests.Inference.TorchRngCollection))]
public class GenerationGoldenTests
{
    [Theory]
    [InlineData("llama")]
    [InlineData("llama3")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("mistral")] // sliding_window 8: the cached steps must apply the window too
    public void GreedyOutputEqualsTransformers(string family)
    {
        var golden = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Model(family), "generate.json")))!;
        var prompts = Rows(golden["prompt_ids"]!);
        var expected = Rows(golden["output_ids"]!);
        using var model = Golden.LoadModel(family);

        var (completions, stats) = Decoding.Generate(model, prompts, new GenerationOptions { MaxNewTokens = 16 });

        for (int r = 0; r < prompts.Count; r++)
        {
            Assert.Equal(expected[r].Skip(prompts[r].Count), completions[r].TokenIds);
            Assert.Equal(FinishReason.Length, completions[r].FinishReason);
        }
        Assert.Equal(32, stats.GeneratedTokens);
    }

    [Fact]
    public void MistralOutputPastTheWindowDiffersWithoutIt()
    {
        // Guards the test above: if the cached path ignored the window, 24 tokens would see more than 8 back.
        var golden = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Model("mistral"), "generate.json")))!;
        var prompts = Rows(golden["prompt_ids"]!);
        using var windowed = Golden.LoadModel("mistral");
        var config = windowed.Config with { SlidingWindow = null };
        using var full = new Athanor.Models.CausalLM(config);
        Athanor.Models.ModelWeights.Load(full, TestPaths.Model("mistral"));
        var a = Decoding.Generate(windowed, prompts, new GenerationOptions { MaxNewTokens = 16 }).Completions;
        var b = Decoding.Generate(full, prompts, new GenerationOptions { MaxNewTokens = 16 }).Completions;
        Assert.NotEqual(a.SelectMany(c => c.TokenIds), b.SelectMany(c => c.TokenIds));
    }

    internal static List<IReadOnlyList<int>> Rows(JsonNode node) =>
        node.AsArray().Select(row => (IReadOnlyList<int>)row!.AsArray().Select(v => v!.GetValue<int>()).ToArray()).ToList();
}
