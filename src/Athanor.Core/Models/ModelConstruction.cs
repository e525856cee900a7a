using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>
/// Where the model classes allocate their parameters while being built on this thread: the CPU by default, or
/// the meta device (shapes only, no memory) inside <see cref="OnMeta"/>, so a 65B model can be described without
/// existing anywhere. Thread-local on purpose: torch's default device is process-wide and ranks share processes.
/// </summary>
public static class ModelConstruction
{
    [ThreadStatic] private static Device? _device;

    /// <summary>The device parameters are created on (null: TorchSharp's default, the CPU).</summary>
    public static Device? Device => _device;

    /// <summary>Builds models on the meta device until disposed (on this thread).</summary>
    public static IDisposable OnMeta()
    {
        var previous = _device;
        _device = META;
        return new Restore(previous);
    }

    /// <summary>A model of config's shape with every parameter on the meta device: nothing is allocated.</summary>
    public static CausalLM BuildOnMeta(ModelConfig config)
    {
        using (OnMeta()) return new CausalLM(config, initialize: false);
    }

    private sealed class Restore(Device? previous) : IDisposable
    {
        public void Dispose() => _device = previous;
    }
}
