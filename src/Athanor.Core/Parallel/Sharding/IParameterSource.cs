using static TorchSharp.torch;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// The values of a model's parameters, produced one at a time straight into the buffer that needs them, so a
/// model built on the meta device is materialized one unit at a time and never whole. Every rank gets the same
/// values for the same name (no broadcast needed).
/// </summary>
public interface IParameterSource
{
    /// <param name="name">the parameter's name as Hugging Face writes it</param>
    /// <param name="target">a tensor of the parameter's shape, on the device and in the dtype it will live in</param>
    void Fill(string name, Tensor target);
}
