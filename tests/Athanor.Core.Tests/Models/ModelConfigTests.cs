using System.Text.Json.Nodes;
using Athanor.Models;
using Athanor.Native;

namespace Athanor.Tests.Models;

public class ModelConfigTests
{
    private static JsonObject Config(string family) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Model(family), "config.json")))!.AsObject();

    [Fact]
    public void Transformers4RopeLayoutReadsLikeTheTransformers5One()
    {
        // transformers 5 writes rope_parameters; Hub models written by 4.x have rope_theta + rope_scaling.
        var v5 = ModelConfig.Parse(Config("llama3").ToJsonString(), "v5");
        var legacy = Config("llama3");
        var rope = legacy["rope_parameters"]!.AsObject();
        legacy.Remove("rope_parameters");
        legacy["rope_theta"] = rope["rope_theta"]!.GetValue<double>();
        rope.Remove("rope_theta");
        legacy["rope_scaling"] = JsonNode.Parse(rope.ToJsonString());
        var v4 = ModelConfig.Parse(legacy.ToJsonString(), "v4");
        Assert.Equal(v5.Rope, v4.Rope);
        Assert.Equal("llama3", v4.Rope.Type);
        Assert.Equal(500000.0, v4.Rope.Theta);
    }

    [Fact]
    public void FamiliesGetTheirQuirks()
    {
        var qwen2 = ModelConfig.Load(TestPaths.Model("qwen2"));
        Assert.True(qwen2.QkvBias);
        Assert.False(qwen2.OutputBias);
        Assert.True(qwen2.TieWordEmbeddings);
        var qwen3 = ModelConfig.Load(TestPaths.Model("qwen3"));
        Assert.True(qwen3.QkNorm);
        Assert.Equal(32, qwen3.HeadDim);
        Assert.Equal(8, ModelConfig.Load(TestPaths.Model("mistral")).SlidingWindow);
        Assert.Null(ModelConfig.Load(TestPaths.Model("llama")).SlidingWindow);
    }

    [Theory]
    [InlineData("model_type", "\"gpt2\"", "model_type 'gpt2' is not supported; supported: llama, mistral, qwen2, qwen3")]
    [InlineData("hidden_size", "\"big\"", "hidden_size is \"big\", expected an integer")]
    [InlineData("hidden_act", "\"gelu\"", "hidden_act 'gelu' is not supported")]
    [InlineData("num_key_value_heads", "3", "num_attention_heads 4 is not a multiple of num_key_value_heads 3")]
    [InlineData("vocab_size", "0", "vocab_size must be a positive integer, got 0")]
    public void BadValuesNameTheFileKeyAndWhatIsAccepted(string key, string value, string expected)
    {
        var o = Config("llama");
        o[key] = JsonNode.Parse(value);
        var ex = Assert.Throws<ModelFormatException>(() => ModelConfig.Parse(o.ToJsonString(), "my/config.json"));
        Assert.StartsWith("my/config.json: ", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void MissingKeysAndFoldersAreClearErrors()
    {
        var o = Config("llama");
        o.Remove("intermediate_size");
        Assert.Contains("required key 'intermediate_size' is missing",
            Assert.Throws<ModelFormatException>(() => ModelConfig.Parse(o.ToJsonString(), "c.json")).Message);
        Assert.Contains("model folder does not exist",
            Assert.Throws<ModelFormatException>(() => ModelConfig.Load("/no/such/model")).Message);
        Assert.Contains("invalid JSON", Assert.Throws<ModelFormatException>(() => ModelConfig.Parse("{", "c.json")).Message);
    }

    [Fact]
    public void WeightsOfAnotherShapeAreRejectedWithBothShapes()
    {
        TorchRuntime.Initialize();
        using var temp = new TestPaths.TempFolder();
        foreach (var f in Directory.GetFiles(TestPaths.Model("llama"))) File.Copy(f, Path.Combine(temp.Path, Path.GetFileName(f)));
        var o = Config("llama");
        o["intermediate_size"] = 128;
        File.WriteAllText(Path.Combine(temp.Path, "config.json"), o.ToJsonString());
        using var model = new CausalLM(ModelConfig.Load(temp.Path));
        var ex = Assert.Throws<ModelFormatException>(() => ModelWeights.Load(model, temp.Path));
        Assert.Contains("has shape [160,64] but config.json implies [128,64]", ex.Message);
    }

    [Fact]
    public void ParameterCountMatchesTheBuiltModel()
    {
        TorchRuntime.Initialize();
        foreach (var family in new[] { "llama", "qwen2", "qwen3", "mistral" })
        {
            var config = ModelConfig.Load(TestPaths.Model(family));
            using var model = new CausalLM(config);
            Assert.Equal(model.parameters().Sum(p => p.numel()), config.ParameterCount());
        }
    }
}
