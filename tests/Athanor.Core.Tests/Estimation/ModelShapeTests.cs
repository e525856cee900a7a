using Athanor.Checkpoints.Safetensors;
using Athanor.Estimation;
using Athanor.Models;
using Athanor.Native;

namespace Athanor.Tests.Estimation;

public class ModelShapeTests
{
    [Theory]
    [InlineData("7b", 6_738_415_616L)]
    [InlineData("13b", 13_015_864_320L)]
    [InlineData("30b", 32_528_943_616L)]
    [InlineData("65b", 65_285_660_672L)]
    public void PresetsHaveThePublishedParameterCounts(string name, long expected)
    {
        var spec = ModelPresets.Get(name);
        Assert.Equal(expected, spec.Parameters);
        Assert.False(spec.ShapeInferred);
    }

    [Fact]
    public void PresetShapesAreTheOnesOfThePapers()
    {
        var s30 = ModelPresets.Get("30b").Shape;
        Assert.Equal((6656, 60, 52, 17920, 32000), (s30.Hidden, s30.Layers, s30.Heads, s30.Intermediate, s30.Vocab));
        var s65 = ModelPresets.Get("65B").Shape;
        Assert.Equal((8192, 80, 64, 22016, 32000), (s65.Hidden, s65.Layers, s65.Heads, s65.Intermediate, s65.Vocab));
    }

    [Fact]
    public void UnknownPresetListsThePresets()
    {
        var ex = Assert.Throws<PlannerInputException>(() => ModelPresets.Get("70b"));
        Assert.Contains("'70b'", ex.Message);
        Assert.Contains("7b, 13b, 30b, 65b", ex.Message);
    }

    [Fact]
    public void LoraOnAllSevenProjectionsOfLlama2_7bAtRank8()
    {
        // PEFT prints "trainable params: 19,988,480" for this setup.
        Assert.Equal(19_988_480L, ModelPresets.Get("7b").Shape.LoraParameters(8));
        Assert.Equal(2 * 19_988_480L, ModelPresets.Get("7b").Shape.LoraParameters(16));
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("llama3")]
    [InlineData("mistral")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    public void ShapesFromAModelFolderCountTheTensorsInItsSafetensors(string family)
    {
        TorchRuntime.Initialize();
        var folder = TestPaths.Model(family);
        var spec = ModelSpec.FromFolder(folder);
        Assert.Equal(ModelConfig.Load(folder).ParameterCount(), spec.Parameters);
        Assert.Equal(spec.Shape.ParameterCount, spec.Parameters);
        using var file = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        long stored = file.Tensors.Values.Sum(t => t.ElementCount);
        long expected = spec.Parameters - (spec.Shape.TiedEmbeddings && file.Contains("lm_head.weight") ? -spec.Shape.EmbeddingMatrix : 0);
        Assert.Equal(expected, stored);
    }

    [Fact]
    public void AParameterCountGetsALlamaLikeShapeAndKeepsItsExactCount()
    {
        var spec = ModelSpec.FromParameterCount(7_000_000_000);
        Assert.True(spec.ShapeInferred);
        Assert.Equal(7_000_000_000L, spec.Parameters);
        Assert.InRange(spec.Shape.Layers, 30, 35);
        Assert.InRange(spec.Shape.Hidden, 3968, 4352);
        Assert.Equal(0, spec.Shape.Hidden % 128);
        // The parts add up to the count given, whatever the inferred shape's own count.
        double sum = spec.BlockParameters * spec.Shape.Layers + spec.Shape.EmbeddingParameters + spec.Shape.Hidden;
        Assert.Equal(7e9, sum, 1e-3);
        Assert.Equal(spec.Parameters - spec.Shape.EmbeddingParameters - spec.Shape.Hidden - spec.Shape.Layers * spec.Shape.BlockExtras,
            spec.LinearParameters, 1e-3);
    }

    [Fact]
    public void ATooSmallCountIsRefusedWithTheAlternative()
    {
        var ex = Assert.Throws<PlannerInputException>(() => ModelSpec.FromParameterCount(1_000_000));
        Assert.Contains("--params 1000000", ex.Message);
        Assert.Contains("--model", ex.Message);
        Assert.True(ModelSpec.FromParameterCount(20_000_000).BlockParameters > 0);
    }
}
