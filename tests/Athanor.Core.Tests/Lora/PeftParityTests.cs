using Athanor.Checkpoints.Safetensors;
using Athanor.Lora;
using Athanor.Tests.Models;
using static TorchSharp.torch;

namespace Athanor.Tests.Lora;

/// <summary>Adapters saved by PEFT load into our model and give PEFT's logits; ours round-trip in PEFT's format.</summary>
public class PeftParityTests
{
    [Theory]
    [InlineData("lora")]
    [InlineData("rslora")]
    public void PeftAdapterGivesPeftLogits(string variant)
    {
        using var model = Golden.LoadModel("llama");
        var adapterFolder = Path.Combine(TestPaths.Model("llama"), variant);
        var settings = PeftAdapter.Load(model, adapterFolder);
        Assert.Equal(variant == "rslora", settings.UseRsLora);
        model.eval();
        var (ids, expected) = Golden.Read(adapterFolder);
        using (ids)
        using (expected)
        using (no_grad())
        {
            using var logits = model.forward(ids);
            Assert.True(Golden.RelativeError(logits, expected) < 1e-4);
            // Merged into the base weights, the model computes the same function.
            LoraModel.MergeInPlace(model);
            using var merged = model.forward(ids);
            Assert.True(Golden.RelativeError(merged, expected) < 1e-4);
        }
    }

    [Fact]
    public void SavedAdapterUsesPeftKeysAndRoundTrips()
    {
        using var temp = new TestPaths.TempFolder();
        var peftFolder = Path.Combine(TestPaths.Model("llama"), "lora");
        using var model = Golden.LoadModel("llama");
        var settings = PeftAdapter.Load(model, peftFolder);
        PeftAdapter.Save(model, settings, temp.Path, "tiny-llama");

        using (var ours = SafetensorsFile.Open(Path.Combine(temp.Path, PeftAdapter.WeightsFile)))
        using (var theirs = SafetensorsFile.Open(Path.Combine(peftFolder, PeftAdapter.WeightsFile)))
        {
            Assert.Equal(theirs.Tensors.Keys.Order(), ours.Tensors.Keys.Order());
            foreach (var key in theirs.Tensors.Keys)
            {
                using var a = ours.Load(key);
                using var b = theirs.Load(key);
                using var same = a.eq(b).all();
                Assert.True(same.item<bool>(), key);
            }
        }
        var reread = PeftAdapter.ReadSettings(temp.Path);
        Assert.Equal(settings.Rank, reread.Rank);
        Assert.Equal(settings.Alpha, reread.Alpha);
        Assert.Equal(settings.TargetModules.Order(), reread.TargetModules.Order());

        using var fresh = Golden.LoadModel("llama");
        PeftAdapter.Load(fresh, temp.Path);
        fresh.eval();
        var (ids, expected) = Golden.Read(peftFolder);
        using (ids)
        using (expected)
        using (no_grad())
        {
            using var logits = fresh.forward(ids);
            Assert.True(Golden.RelativeError(logits, expected) < 1e-4);
        }
    }

    [Fact]
    public void AdapterForAnotherModelIsRejected()
    {
        using var model = Golden.LoadModel("qwen3");
        var ex = Assert.Throws<Athanor.Models.ModelFormatException>(() =>
            PeftAdapter.Load(model, Path.Combine(TestPaths.Model("llama"), "lora")));
        Assert.Contains("does not match", ex.Message);
    }

    [Fact]
    public void NewAdapterStartsAsIdentityAndFreezesBase()
    {
        using var model = Golden.LoadModel("llama");
        var (ids, expected) = Golden.Read(TestPaths.Model("llama"));
        LoraModel.Apply(model, new LoraSettings(8, 16, 0.1, LoraSettings.AllLinear));
        model.eval();
        using (ids)
        using (expected)
        using (no_grad())
        {
            using var logits = model.forward(ids);
            Assert.True(Golden.RelativeError(logits, expected) < 1e-4);
        }
        foreach (var (name, p) in model.named_parameters())
            Assert.Equal(LoraModel.IsAdapterParameter(name), p.requires_grad);
    }
}
