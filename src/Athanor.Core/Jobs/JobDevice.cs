using Athanor.Configuration;
using Athanor.Models;
using Athanor.Native;
using Athanor.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Jobs;

/// <summary>Where a job's ranks compute: libtorch brought up for the job's device, and each rank's model placed there.</summary>
public static class JobDevice
{
    /// <summary>Brings up libtorch for the job (CUDA through an existing PyTorch when device is cuda) and checks the device exists.</summary>
    public static void Check(JobConfig config)
    {
        if (config.Device == "cpu")
        {
            TorchRuntime.Initialize(config.Threads);
            return;
        }
        try { TorchRuntime.InitializeCuda(config.Threads); }
        catch (InvalidOperationException ex)
        {
            throw new JobException($"device: {config.Device}: {ex.Message}. `cluster doctor` shows what this machine has; device: cpu trains without a GPU");
        }
        int count = cuda.device_count();
        if (Index(config.Device) is int index && index >= count)
            throw new JobException($"device: {config.Device}: this machine has {count} GPU(s) (cuda:0 to cuda:{count - 1})");
        if (config.Fp8)
            foreach (int device in Index(config.Device) is int one ? [one] : Enumerable.Range(0, count))
                if (Fp8.Fp8Support.WhyNot(device) is string why)
                    throw new JobException($"fp8: true: {why}; accepted: a GPU of compute capability 8.9 or newer, or fp8: false");
    }

    /// <summary>The device of a rank: cuda:N as written, or for "cuda" the rank's GPU among those visible.</summary>
    public static Device For(JobConfig config, int rank)
    {
        if (config.Device == "cpu") return CPU;
        int index = Index(config.Device) ?? rank % Math.Max(1, cuda.device_count());
        return new Device(DeviceType.CUDA, index);
    }

    /// <summary>Turns activation checkpointing on as the job configures it.</summary>
    public static void ApplyCheckpointing(CausalLM model, JobConfig config, Action<string>? log)
    {
        if (config.CheckpointInterval > 0)
        {
            ActivationCheckpointing.Apply(model, config.CheckpointInterval);
            log?.Invoke($"activation checkpointing: every {(config.CheckpointInterval == 1 ? "decoder layer" : $"{config.CheckpointInterval}th decoder layer")}");
        }
    }

    private static int? Index(string device) =>
        device.StartsWith("cuda:", StringComparison.Ordinal) ? int.Parse(device.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture) : null;
}
