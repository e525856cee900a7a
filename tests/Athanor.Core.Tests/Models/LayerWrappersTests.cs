using Athanor.Models;
using Athanor.Tests.Training;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Models;

/// <summary>The model's layer wrappers: ordered by stage whoever installs first, and each handle removes exactly its own.</summary>
public class LayerWrappersTests
{
    private static readonly long[] Ids = [5, 9, 2, 33, 17, 4, 8, 60];

    /// <summary>A wrapper that records its name for each layer it runs and calls the rest of the chain.</summary>
    private static LayerWrapper Probe(string name, List<string> trace) => (layer, index, x, inner) =>
    {
        trace.Add($"{name}{index}");
        return inner(layer, index, x);
    };

    private static Tensor Hidden(CausalLM model)
    {
        using var ids = tensor(Ids, [1, Ids.Length]);
        using var _ = no_grad();
        return model.Hidden(ids);
    }

    [Fact]
    public void Wrappers_run_outermost_stage_first_whatever_order_they_were_added_in()
    {
        using var model = TinySetup.Model();
        var trace = new List<string>();
        var wrappers = model.Model.LayerWrappers;
        using var recompute = wrappers.Add(LayerWrapperStage.Recompute, Probe("recompute", trace));
        using var observe = wrappers.Add(LayerWrapperStage.Observe, Probe("observe", trace));
        using var shard = wrappers.Add(LayerWrapperStage.Shard, Probe("shard", trace));
        using var observeLater = wrappers.Add(LayerWrapperStage.Observe, Probe("observe-later", trace));
        using (Hidden(model)) { }
        Assert.Equal(["observe-later0", "observe0", "shard0", "recompute0", "observe-later1", "observe1", "shard1", "recompute1"], trace);
    }

    [Theory]
    [InlineData(new[] { 0, 1, 2 })]
    [InlineData(new[] { 2, 0, 1 })]
    [InlineData(new[] { 1, 2, 0 })]
    public void Removing_in_any_order_takes_off_exactly_that_wrapper_and_the_plain_model_comes_back(int[] removalOrder)
    {
        using var model = TinySetup.Model();
        using var plain = Hidden(model);
        var trace = new List<string>();
        var wrappers = model.Model.LayerWrappers;
        string[] names = ["a", "b", "c"];
        // Two of them change the layer's output, so a wrapper left behind would show in the hidden states too.
        var handles = new[]
        {
            wrappers.Add(LayerWrapperStage.Observe, Probe("a", trace)),
            wrappers.Add(LayerWrapperStage.Observe, (layer, index, x, inner) => { trace.Add($"b{index}"); return inner(layer, index, x) * 2; }),
            wrappers.Add(LayerWrapperStage.Recompute, (layer, index, x, inner) => { trace.Add($"c{index}"); return inner(layer, index, x) + 1; }),
        };
        var installed = names.ToHashSet();
        foreach (int k in removalOrder)
        {
            handles[k].Dispose();
            handles[k].Dispose(); // a second dispose removes nothing else
            installed.Remove(names[k]);
            trace.Clear();
            using (Hidden(model)) { }
            Assert.Equal(installed.Order(), trace.Select(t => t[..1]).Distinct().Order());
            Assert.Equal(installed.Count, wrappers.Count);
        }
        using var after = Hidden(model);
        // With every wrapper removed the model computes what it did before.
        Assert.Equal(plain.data<float>().ToArray(), after.data<float>().ToArray());
    }

    [Fact]
    public void Checkpointing_and_the_gradient_hook_compose_in_either_order_and_come_off_independently()
    {
        (Dictionary<string, Tensor> Grads, List<int> Done) Backward(CausalLM model)
        {
            var done = new List<int>();
            model.zero_grad();
            model.train();
            using var hook = LayerGradientHook.Install(model, done.Add);
            using var ids = tensor(Ids, [1, Ids.Length]);
            using (var loss = CausalLmLoss.Sum(model, ids, ids)) loss.backward();
            model.Gradients.Release();
            model.Gradients.ThrowIfFailed();
            return (model.named_parameters().Where(p => p.parameter.grad is not null).ToDictionary(p => p.name, p => p.parameter.grad!.clone()), done);
        }

        using var reference = TinySetup.Model();
        var expected = Backward(reference);
        Assert.Equal([1, 0], expected.Done); // backward visits the last layer first

        using var model = TinySetup.Model();
        var checkpointing = ActivationCheckpointing.Apply(model, every: 1);
        var withBoth = Backward(model); // the hook was added after checkpointing and still sits outside it
        Assert.Equal(expected.Done, withBoth.Done);
        foreach (var (name, grad) in expected.Grads)
            Assert.True(grad.allclose(withBoth.Grads[name], rtol: 1e-5, atol: 1e-7), $"{name}: gradients differ");

        checkpointing.Dispose();
        Assert.Equal(0, model.Model.LayerWrappers.Count);
        var withHookOnly = Backward(model);
        Assert.Equal(expected.Done, withHookOnly.Done);
    }
}
