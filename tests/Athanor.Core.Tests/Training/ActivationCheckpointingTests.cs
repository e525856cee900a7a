using Athanor.Lora;
using Athanor.Models;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Training;

public class ActivationCheckpointingTests
{
    private static Dictionary<string, Tensor> Gradients(CausalLM model, int every)
    {
        ActivationCheckpointing.Apply(model, every);
        model.train();
        using var ids = tensor(new long[] { 5, 9, 2, 33, 17, 4, 8, 60, 1, 2, 3, 4, 5, 6, 7, 8 }, [2, 8]);
        using (var loss = CausalLmLoss.Sum(model, ids, ids)) loss.backward();
        model.Gradients.Release();
        model.Gradients.ThrowIfFailed();
        return model.named_parameters().Where(p => p.parameter.grad is not null)
            .ToDictionary(p => p.name, p => p.parameter.grad!.clone());
    }

    private static void AssertSame(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, grad) in expected)
            Assert.True(grad.allclose(actual[name], rtol: 1e-5, atol: 1e-7), $"{name}: gradients differ");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Checkpointed_layers_give_the_plain_gradients(int every)
    {
        using var plain = TinySetup.Model();
        using var checkpointed = TinySetup.Model();
        AssertSame(Gradients(plain, 0), Gradients(checkpointed, every));
    }

    [Fact]
    public void Lora_dropout_draws_the_same_masks_when_a_layer_is_recomputed()
    {
        CausalLM Build()
        {
            var model = TinySetup.Model();
            LoraModel.Apply(model, new LoraSettings(4, 8, 0.3, LoraSettings.AllLinear), seed: 11);
            return model;
        }
        using var plain = Build();
        using var checkpointed = Build();
        var expected = Gradients(plain, 0);
        Assert.Contains(expected.Keys, k => k.Contains("lora_A"));
        AssertSame(expected, Gradients(checkpointed, 1));
        // The generator ends where the plain run left it, so the next step draws the same masks too.
        using var a = LoraModel.DropoutRng(plain)!.get_state();
        using var b = LoraModel.DropoutRng(checkpointed)!.get_state();
        Assert.Equal(a.data<byte>().ToArray(), b.data<byte>().ToArray());
    }

    [Fact]
    public void Training_with_checkpointing_follows_the_same_loss_curve()
    {
        using var temp = new TestPaths.TempFolder();
        List<double> Run(int every, string dir)
        {
            using var model = TinySetup.Model();
            ActivationCheckpointing.Apply(model, every);
            var result = new Trainer(model, null, TinySetup.Data(), TinySetup.Settings(dir)).Run();
            Assert.Equal(12, result.Steps);
            return TrainingCurves.Losses(dir);
        }
        var plain = Run(0, temp.Sub("plain"));
        var checkpointed = Run(1, temp.Sub("checkpointed"));
        Assert.Equal(plain.Count, checkpointed.Count);
        for (int i = 0; i < plain.Count; i++) Assert.Equal(plain[i], checkpointed[i], 1e-5);
    }

    [Fact]
    public void A_negative_interval_is_refused()
    {
        using var model = TinySetup.Model();
        Assert.Throws<ArgumentOutOfRangeException>(() => ActivationCheckpointing.Apply(model, -1));
    }
}
