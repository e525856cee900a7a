using Athanor.Models;
using Athanor.Parallel.Sharding;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Quantization;

/// <summary>
/// Materializes a model built on the meta device with a 4-bit base, one parameter at a time in model order (so layer
/// by layer): each decoder projection's weight is read from the source in full precision, quantized on the target
/// device and freed, or read packed from a bitsandbytes folder; norms, embeddings and the LM head are made in the
/// compute dtype, as bitsandbytes and PEFT keep them. The whole model never exists in full precision.
/// </summary>
public static class QuantizedPlacement
{
    /// <returns>how many projections were quantized and the bytes their 4-bit weights take</returns>
    public static (int Projections, long Bytes) Materialize(CausalLM model, Device device, ScalarType dtype, IParameterSource source,
        QuantizationSettings settings)
    {
        using var _ = no_grad();
        var projections = model.BlockProjections().ToDictionary(p => p.Name + ".weight", p => p.Projection);
        int count = 0;
        long bytes = 0;
        foreach (var (name, parameter) in model.named_parameters().ToList())
        {
            if (parameter.is_meta && projections.TryGetValue(name, out var projection))
            {
                var prequantized = (source as BnbCheckpointSource)?.TryRead(name, parameter.shape, device);
                if (prequantized is not null || source is not BnbCheckpointSource)
                {
                    var quantized = prequantized ?? QuantizeFrom(source, name, parameter.shape, device, dtype, settings);
                    projection.Quantize(quantized, model.Gradients);
                    count++;
                    bytes += quantized.StorageBytes;
                    continue;
                }
            }
            Tensor value;
            if (parameter.is_meta)
            {
                value = empty(parameter.shape, dtype, device);
                source.Fill(name, value);
            }
            else value = parameter.detach().to(dtype, device);
            // The base is frozen: only LoRA adapters (made for real before this) train.
            ParameterReplacement.Replace(model, name, new Parameter(value, parameter.requires_grad));
        }
        return (count, bytes);
    }

    // The full-precision weight exists only for this call: read in the compute dtype, quantized there, freed.
    private static QuantizedWeight QuantizeFrom(IParameterSource source, string name, long[] shape, Device device, ScalarType dtype,
        QuantizationSettings settings)
    {
        using var full = empty(shape, dtype, device);
        source.Fill(name, full);
        return FourBitQuantizer.Quantize(full, settings.Type, settings.DoubleQuantization, settings.BlockSize);
    }
}
