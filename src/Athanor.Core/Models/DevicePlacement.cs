using Athanor.Parallel.Sharding;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>
/// Puts a model on a device one parameter at a time, in the dtype it computes in. A model built on the meta device
/// gets each parameter allocated there and filled from a source (random initialization or safetensors); parameters
/// that already exist (LoRA adapters made after the build) are converted and copied over. No full-precision copy of
/// the model ever exists on the device or the host: Module.to(device) followed by Module.to(bf16) would put the
/// fp32 model on the GPU first (32 GB for an 8B model), and the caching allocator keeps that reserve afterwards.
/// It also avoids Module.to, whose native side does not catch libtorch's exceptions (out of memory there ends the
/// process).
/// </summary>
public static class DevicePlacement
{
    /// <param name="source">fills each meta parameter; null leaves them uninitialized (a checkpoint overwrites every one)</param>
    public static void Materialize(CausalLM model, Device device, ScalarType dtype, IParameterSource? source)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in model.named_parameters().ToList())
        {
            Tensor value;
            if (parameter.is_meta)
            {
                value = empty(parameter.shape, dtype, device);
                source?.Fill(name, value);
            }
            else value = parameter.detach().to(dtype, device);
            ParameterReplacement.Replace(model, name, new Parameter(value, parameter.requires_grad));
        }
    }
}
