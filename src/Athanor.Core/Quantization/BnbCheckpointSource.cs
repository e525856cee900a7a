using Athanor.Checkpoints.Safetensors;
using Athanor.Models;
using Athanor.Parallel.Sharding;
using static TorchSharp.torch;

namespace Athanor.Quantization;

/// <summary>
/// A bitsandbytes 4-bit folder as a parameter source: the 4-bit weights are read packed as saved
/// (<see cref="BnbFormat.Read"/>), everything else (norms, embeddings, the LM head, modules bitsandbytes skipped) as
/// plain tensors, one at a time.
/// </summary>
public sealed class BnbCheckpointSource : IParameterSource, IDisposable
{
    private readonly string _folder;
    private readonly SafetensorsCheckpoint _checkpoint;
    private readonly SafetensorsSource _plain;

    public BnbCheckpointSource(string folder)
    {
        _folder = folder;
        _checkpoint = ModelWeights.OpenCheckpoint(folder);
        _plain = new SafetensorsSource(folder);
    }

    /// <summary>The saved 4-bit weight, or null when the folder holds <paramref name="name"/> in full precision.</summary>
    public QuantizedWeight? TryRead(string name, long[] shape, Device device) =>
        BnbFormat.IsQuantized(_checkpoint, name) ? BnbFormat.Read(_checkpoint, name, shape, device, _folder) : null;

    public void Fill(string name, Tensor target) => _plain.Fill(name, target);

    public void Dispose()
    {
        _plain.Dispose();
        _checkpoint.Dispose();
    }
}
