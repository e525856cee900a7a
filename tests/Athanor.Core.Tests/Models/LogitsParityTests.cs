using static TorchSharp.torch;

namespace Athanor.Tests.Models;

/// <summary>Our forward pass against Hugging Face transformers' logits on the same weights (fp32).</summary>
public class LogitsParityTests
{
    [Theory]
    [InlineData("llama")]
    [InlineData("llama3")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("mistral")]
    public void LogitsMatchTransformers(string family)
    {
        using var model = Golden.LoadModel(family);
        var (ids, expected) = Golden.Read(TestPaths.Model(family));
        using (ids)
        using (expected)
        using (no_grad())
        {
            using var logits = model.forward(ids);
            Assert.Equal(expected.shape, logits.shape);
            var error = Golden.RelativeError(logits, expected);
            Assert.True(error < 1e-4, $"{family}: relative logits error {error:E2} exceeds 1e-4");
        }
    }

    [Fact]
    public void MistralSlidingWindowIsActuallyApplied()
    {
        // With the window off, positions past it see more context and the logits must differ.
        var folder = TestPaths.Model("mistral");
        var config = Athanor.Models.ModelConfig.Load(folder) with { SlidingWindow = null };
        using var model = new Athanor.Models.CausalLM(config);
        Athanor.Models.ModelWeights.Load(model, folder);
        var (ids, expected) = Golden.Read(folder);
        using (ids)
        using (expected)
        using (no_grad())
        {
            using var logits = model.forward(ids);
            Assert.True(Golden.RelativeError(logits, expected) > 1e-3);
        }
    }
}
