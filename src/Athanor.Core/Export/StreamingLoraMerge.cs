using Athanor.Checkpoints.Safetensors;
using Athanor.Lora;
using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Export;

/// <summary>
/// A base model with a PEFT adapter merged in (W + scaling x B A for every adapted projection), produced one tensor at
/// a time from the files: the base model is described on the meta device and only the adapters exist in memory, so a
/// 65B merge needs one base tensor at a time, not the whole model. Construction loads and checks the adapter against
/// the base's shapes; <see cref="Tensors"/> then streams.
/// </summary>
public sealed class StreamingLoraMerge : IDisposable
{
    private readonly string _basePath;
    private readonly CausalLM _shape;
    private readonly Dictionary<string, LoraAdapter> _adapters;

    public StreamingLoraMerge(string basePath, ModelConfig config, string adapterFolder)
    {
        _basePath = basePath;
        _shape = ModelConstruction.BuildOnMeta(config);
        try
        {
            PeftAdapter.Load(_shape, adapterFolder); // adapters are made for real, then their weights checked and loaded
            _adapters = LoraModel.Adapters(_shape).ToDictionary(a => a.Name + ".weight", a => a.Adapter);
        }
        catch
        {
            _shape.Dispose();
            throw;
        }
    }

    public IEnumerable<KeyValuePair<string, Tensor>> Tensors(ScalarType dtype)
    {
        using var checkpoint = ModelWeights.OpenCheckpoint(_basePath);
        foreach (var (name, p) in _shape.named_parameters())
        {
            if (LoraModel.IsAdapterParameter(name)) continue;
            if (!checkpoint.Contains(name))
                throw new ModelFormatException($"{_basePath}: tensor '{name}' is missing from the safetensors files");
            var info = checkpoint.Info(name);
            if (!info.Shape.SequenceEqual(p.shape))
                throw new ModelFormatException($"{_basePath}: tensor '{name}' has shape {TensorInfo.FormatShape(info.Shape)} but config.json implies {TensorInfo.FormatShape(p.shape)}");
            Tensor value;
            using (no_grad())
            {
                // The same arithmetic as merging into a loaded model: fp32 base + fp32 delta, then the export dtype.
                value = checkpoint.Load(name, ScalarType.Float32);
                if (_adapters.TryGetValue(name, out var adapter))
                    using (var delta = adapter.WeightDelta()) value.add_(delta);
                if (value.dtype != dtype)
                {
                    var converted = value.to_type(dtype);
                    value.Dispose();
                    value = converted;
                }
            }
            yield return new(name, value);
        }
    }

    public void Dispose() => _shape.Dispose();
}
