using Athanor.Configuration;
using Athanor.Jobs;
using Athanor.Kernels;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Native;
using Athanor.Parallel.Sharding;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Quantization;

/// <summary>
/// A job's model with a 4-bit base (quantization_bit: 4): built on the meta device, LoRA adapters attached, then
/// materialized on the rank's device by <see cref="QuantizedPlacement"/> from the model folder (quantized on load, or
/// read packed from a bitsandbytes 4-bit folder) or a random initialization.
/// </summary>
public static class QuantizedJobModel
{
    /// <summary>
    /// The checks before anything is built: a pre-quantized folder in a format Athanor reads, and one only with
    /// quantization_bit: 4 (its weights cannot be trained or loaded in full precision).
    /// </summary>
    public static void Check(JobConfig config)
    {
        if (config.Init != WeightInit.Pretrained || !Directory.Exists(config.ModelNameOrPath)) return;
        var saved = BnbFolder.Read(config.ModelNameOrPath);
        if (saved is not null && !config.IsQuantized)
            throw new JobException($"{config.ModelNameOrPath}: the model is saved in bitsandbytes {saved.Describe()}; " +
                "set quantization_bit: 4 (with finetuning_type: lora) to train LoRA adapters on it");
    }

    public static (CausalLM Model, LoraSettings? Lora, DeferredWeights? Deferred) Build(JobConfig config, ModelConfig modelConfig,
        Action<string>? log, int rank, KernelPlanner kernels)
    {
        var settings = QuantizationSettings.From(config) ?? throw new ArgumentException("the job's base is not quantized", nameof(config));
        var device = JobDevice.For(config, rank);
        var dtype = device.type == DeviceType.CUDA && config.Bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        var saved = config.Init == WeightInit.Pretrained ? BnbFolder.Read(config.ModelNameOrPath) : null;
        if (saved is not null) settings = BnbFolder.Reconcile(saved, config, log);
        var (model, lora) = JobPreparation.BuildOnCpu(config, modelConfig, () => ModelConstruction.BuildOnMeta(modelConfig), log, loadBase: false);
        try
        {
            IParameterSource source = saved is not null ? new BnbCheckpointSource(config.ModelNameOrPath)
                : config.Init == WeightInit.Pretrained ? new SafetensorsSource(config.ModelNameOrPath)
                : new RandomInitSource(config.Seed, modelConfig.InitializerRange);
            (int Projections, long Bytes) made;
            try { made = QuantizedPlacement.Materialize(model, device, dtype, source, settings); }
            finally { (source as IDisposable)?.Dispose(); }
            if (device.type == DeviceType.CUDA)
                model.Kernels.Plan = kernels.Choose(device, modelConfig, dtype, (long)config.PerDeviceTrainBatchSize * config.CutoffLen, config.FusedKernels, log);
            string from = saved is not null ? $"read packed from {config.ModelNameOrPath}"
                : config.Init == WeightInit.Pretrained ? $"quantized on load from {config.ModelNameOrPath}, one weight at a time" : "quantized from a random initialization";
            log?.Invoke($"QLoRA: {made.Projections} projections in {settings.Describe()} ({made.Bytes / 1048576.0:F1} MiB), {from}; " +
                $"norms, embeddings and the LM head in {(dtype == ScalarType.BFloat16 ? "bf16" : "fp32")} on {device}" +
                (device.type == DeviceType.CUDA ? $"; GPU memory in use {DeviceMemory.UsedGib(device.index):F1} GiB" : ""));
            JobDevice.ApplyCheckpointing(model, config, log);
            return (model, lora, null);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
