using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Athanor.Native;

/// <summary>Raw device or host addresses of tensors, for native calls (NCCL, CUDA kernels) that take pointers.</summary>
public static partial class TensorMemory
{
    // LibTorchSharp's exported accessor: the address of the tensor's first element (storage offset included).
    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_data(IntPtr handle);

    /// <summary>Address of the first element. The tensor must stay alive (and unmoved) while the address is used.</summary>
    public static IntPtr Address(Tensor tensor)
    {
        if (!tensor.is_contiguous())
            throw new ArgumentException($"a native call needs a contiguous tensor; got shape [{string.Join(", ", tensor.shape)}] with strides [{string.Join(", ", tensor.stride())}]");
        return THSTensor_data(tensor.Handle);
    }
}
