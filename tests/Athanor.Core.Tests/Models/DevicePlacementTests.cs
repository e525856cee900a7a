using Athanor.Lora;
using Athanor.Models;
using Athanor.Parallel.Sharding;
using Athanor.Tests.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Models;

/// <summary>
/// How a job's model reaches its GPU: built on the meta device, adapters attached, every parameter then made on the
/// device in the compute dtype. Run here with the CPU as the device (the code path is the same).
/// </summary>
public class DevicePlacementTests
{
    private static CausalLM MetaModelWithAdapters()
    {
        using var tiny = TinySetup.Model(); // brings libtorch up
        var model = ModelConstruction.BuildOnMeta(tiny.Config);
        LoraModel.Apply(model, new LoraSettings(4, 8, 0, LoraSettings.AllLinear), seed: 5);
        return model;
    }

    [Fact]
    public void Every_parameter_is_made_on_the_device_in_the_compute_dtype_from_its_source_and_adapters_keep_their_values()
    {
        using var model = MetaModelWithAdapters();
        var adapterValues = model.named_parameters().Where(p => LoraModel.IsAdapterParameter(p.name))
            .ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var source = new RandomInitSource(seed: 3, initializerRange: 0.02);

        DevicePlacement.Materialize(model, CPU, ScalarType.BFloat16, source);

        foreach (var (name, p) in model.named_parameters())
        {
            Assert.False(p.is_meta, $"{name} is still on the meta device");
            Assert.Equal(ScalarType.BFloat16, p.dtype);
            Assert.Equal(LoraModel.IsAdapterParameter(name), p.requires_grad);
            using var expected = empty(p.shape, ScalarType.BFloat16);
            if (adapterValues.TryGetValue(name, out var adapter)) expected.copy_(adapter);
            else source.Fill(name, expected);
            Assert.True(p.detach().eq(expected).all().item<bool>(), $"{name} does not hold its source's values");
        }
        foreach (var v in adapterValues.Values) v.Dispose();

        // The model computes with what it was given.
        model.train();
        using var ids = tensor(new long[] { 1, 2, 3, 4, 5, 6 }, [1, 6]);
        using var hidden = model.Hidden(ids);
        Assert.Equal(ScalarType.BFloat16, hidden.dtype);
        Assert.True(hidden.isfinite().all().item<bool>());
    }

    [Fact]
    public void Without_a_source_the_weights_are_left_for_a_checkpoint_to_fill()
    {
        using var model = MetaModelWithAdapters();
        DevicePlacement.Materialize(model, CPU, ScalarType.Float32, source: null);
        Assert.All(model.named_parameters(), p => Assert.False(p.parameter.is_meta, p.name));
    }
}
