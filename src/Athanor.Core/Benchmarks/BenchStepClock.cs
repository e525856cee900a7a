using System.Diagnostics;
using Athanor.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Benchmarks;

/// <summary>
/// Times the trainer's steps from outside (its step callback): the clock starts once the warm-up steps are done
/// and stops after the timed ones, with the device synchronized at both ends. On a GPU it also keeps the most
/// device memory in use seen after any timed step and samples the peak in between: with libtorch's caching off that
/// peak is what tensors held (max_memory_allocated, each allocation rounded to the driver's pages); with caching on it
/// is what the caching allocator held at most (max_memory_reserved).
/// </summary>
internal sealed class BenchStepClock(int warmup, int steps, Device device) : IDisposable
{
    private readonly Stopwatch _clock = new();
    private DevicePeakSampler? _sampler;
    private bool OnGpu => device.type == DeviceType.CUDA;

    /// <summary>cudaMemGetInfo's in-use bytes before the model existed, the CUDA context included (the sampled peak is above it).</summary>
    public long Baseline { get; } = Measure(device);

    public double DeviceUsedGib { get; private set; }
    public double StepSeconds => _clock.Elapsed.TotalSeconds / steps;
    public long? SampledPeakBytes => _sampler?.PeakUsedBytes;

    private static long Measure(Device device)
    {
        if (device.type != DeviceType.CUDA) return 0;
        using (zeros(1, device: device)) { } // the context exists before the baseline
        return DeviceMemory.UsedBytes(device.index);
    }

    public void StepDone(int step)
    {
        if (step == warmup)
        {
            if (OnGpu) cuda.synchronize(device);
            if (OnGpu) _sampler = new DevicePeakSampler(device.index);
            _clock.Restart();
        }
        else if (step > warmup)
        {
            if (OnGpu) DeviceUsedGib = Math.Max(DeviceUsedGib, DeviceMemory.UsedGib(device.index));
            if (step == warmup + steps)
            {
                if (OnGpu) cuda.synchronize(device);
                _clock.Stop();
                _sampler?.Dispose();
            }
        }
    }

    public void Dispose() => _sampler?.Dispose();
}
