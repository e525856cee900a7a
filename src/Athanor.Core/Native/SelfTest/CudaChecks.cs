using Athanor.Native.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Native.SelfTest;

internal static class CudaChecks
{
    /// <summary>Runtime and driver versions and every device's compute capability, SMs and memory.</summary>
    public static string Devices()
    {
        int count = CudaRuntime.DeviceCount();
        if (count == 0) throw new InvalidOperationException("the CUDA runtime sees no device (check CUDA_VISIBLE_DEVICES and nvidia-smi)");
        var devices = Enumerable.Range(0, count).Select(CudaRuntime.Properties).ToList();
        return $"runtime {CudaRuntime.FormatVersion(CudaRuntime.RuntimeVersion())} ({CudaRuntime.LoadedFrom}), " +
               $"driver supports {CudaRuntime.FormatVersion(CudaRuntime.DriverVersion())}, {count} device(s): " +
               string.Join("; ", devices);
    }

    /// <summary>Our own non-blocking stream and timing events: record, query, synchronize, elapsed time.</summary>
    public static string StreamAndEvents()
    {
        CudaRuntime.SetDevice(0);
        using var stream = CudaStream.CreateNonBlocking();
        using var start = CudaEvent.Create();
        using var end = CudaEvent.Create();
        start.Record(stream);
        end.Record(stream);
        end.Synchronize();
        stream.Synchronize();
        if (!stream.IsComplete() || !end.IsComplete()) throw new InvalidOperationException("an idle stream or a synchronized event reports pending work");
        float ms = CudaEvent.ElapsedMilliseconds(start, end);
        if (ms < 0 || float.IsNaN(ms)) throw new InvalidOperationException($"elapsed time between two events is {ms} ms");
        return $"non-blocking stream and events on cuda:0, empty interval {ms * 1000:F1} us";
    }

    /// <summary>Times a 4096^3 bf16 matmul on torch's stream with CUDA events, checks it against fp32, and reports TFLOP/s.</summary>
    public static string MatmulThroughput()
    {
        const int n = 4096, iterations = 20;
        TorchRuntime.InitializeCuda();
        CudaRuntime.SetDevice(0);
        var device = new Device(DeviceType.CUDA, 0);
        using var scope = NewDisposeScope();
        // TorchSharp has no CUDA generator: draw on the CPU, then copy over.
        var generator = new Generator(1234, CPU);
        var a = randn(n, n, ScalarType.BFloat16, generator: generator).to(device);
        var b = randn(n, n, ScalarType.BFloat16, generator: generator).to(device);
        for (int i = 0; i < 3; i++) a.mm(b).Dispose();

        var stream = TorchCudaStream.Current(0);
        using var start = CudaEvent.Create();
        using var end = CudaEvent.Create();
        start.Record(stream);
        for (int i = 0; i < iterations; i++) a.mm(b).Dispose();
        end.Record(stream);
        end.Synchronize();
        double seconds = CudaEvent.ElapsedMilliseconds(start, end) / 1000.0;
        double tflops = 2.0 * n * n * n * iterations / seconds / 1e12;

        var product = a.mm(b).to(ScalarType.Float32);
        var reference = a.to(ScalarType.Float32).mm(b.to(ScalarType.Float32));
        double error = (product - reference).abs().max().item<float>() / reference.abs().max().item<float>();
        if (error > 2e-2) throw new InvalidOperationException($"bf16 matmul differs from fp32 by {error:E2} of the largest value");
        if (!(tflops > 1)) throw new InvalidOperationException($"implausible throughput {tflops:F2} TFLOP/s");
        return $"{n}x{n}x{n} bf16 matmul: {seconds * 1000 / iterations:F3} ms, {tflops:F0} TFLOP/s (relative error vs fp32 {error:E1})";
    }
}
