using Athanor.Checkpoints.Safetensors;
using Athanor.Models;
using Athanor.Native;
using static TorchSharp.torch;

namespace Athanor.Tests.Models;

/// <summary>The transformers reference outputs made by bench/goldens/make_model_goldens.py.</summary>
internal static class Golden
{
    public static (Tensor InputIds, Tensor Logits) Read(string folder)
    {
        using var file = SafetensorsFile.Open(Path.Combine(folder, "golden.safetensors"));
        return (file.Load("input_ids"), file.Load("logits"));
    }

    public static CausalLM LoadModel(string name)
    {
        TorchRuntime.Initialize();
        var folder = TestPaths.Model(name);
        var model = new CausalLM(ModelConfig.Load(folder));
        ModelWeights.Load(model, folder);
        model.eval();
        return model;
    }

    /// <summary>max |actual - expected| / max |expected|: the relative error the parity bound is stated in.</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        using var diff = (actual - expected).abs().max();
        using var scale = expected.abs().max();
        return diff.item<float>() / scale.item<float>();
    }
}
