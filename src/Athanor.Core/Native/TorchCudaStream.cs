using System.Runtime.InteropServices;

namespace Athanor.Native;

/// <summary>
/// The CUDA stream libtorch is issuing work on for a device. Kernels and NCCL calls launched there are
/// ordered after the tensor operations that produced their inputs, with no extra synchronization.
/// </summary>
public static class TorchCudaStream
{
    private delegate int GetCurrentStream(int device, out IntPtr stream);
    private static GetCurrentStream? _get;

    /// <summary>The current stream of device (a cudaStream_t). Needs CUDA brought up by <see cref="TorchRuntime.InitializeCuda"/>.</summary>
    public static IntPtr Current(int device)
    {
        _get ??= Bind();
        int rc = _get(device, out var stream);
        if (rc != 0) throw new InvalidOperationException($"aoti_torch_get_current_cuda_stream({device}) failed with {rc}");
        return stream;
    }

    private static GetCurrentStream Bind()
    {
        var folder = TorchRuntime.CudaLibtorch
            ?? throw new InvalidOperationException("torch's CUDA stream is only available after TorchRuntime.InitializeCuda()");
        // The AOTInductor shim exports a plain C function for it (PyTorch 2.2 and later).
        var lib = NativeLibrary.Load(Path.Combine(folder, "libtorch_cuda.so"));
        if (!NativeLibrary.TryGetExport(lib, "aoti_torch_get_current_cuda_stream", out var fn))
            throw new InvalidOperationException($"{folder}/libtorch_cuda.so has no aoti_torch_get_current_cuda_stream: PyTorch 2.2 or later is needed");
        return Marshal.GetDelegateForFunctionPointer<GetCurrentStream>(fn);
    }
}
