using Athanor.Checkpoints.Safetensors;
using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// Parameters streamed from a Hugging Face safetensors folder (one file or an index of shards), one tensor at a
/// time: a 65B checkpoint is read piece by piece into each rank's buffers, never loaded whole.
/// </summary>
public sealed class SafetensorsSource : IParameterSource, IDisposable
{
    private readonly string _folder;
    private readonly SafetensorsCheckpoint _checkpoint;

    public SafetensorsSource(string folder)
    {
        _folder = folder;
        _checkpoint = ModelWeights.OpenCheckpoint(folder);
    }

    public void Fill(string name, Tensor target)
    {
        if (!_checkpoint.Contains(name))
            throw new ModelFormatException($"{_folder}: tensor '{name}' is missing from the safetensors files (is config.json from the same model?)");
        var info = _checkpoint.Info(name);
        if (!info.Shape.SequenceEqual(target.shape))
            throw new ModelFormatException($"{_folder}: tensor '{name}' has shape {TensorInfo.FormatShape(info.Shape)} but config.json implies {TensorInfo.FormatShape(target.shape)}");
        using var _ = no_grad();
        using var values = _checkpoint.Load(name, target.dtype);
        target.copy_(values);
    }

    public void Dispose() => _checkpoint.Dispose();
}
