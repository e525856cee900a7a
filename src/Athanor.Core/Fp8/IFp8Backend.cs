using static TorchSharp.torch;

namespace Athanor.Fp8;

/// <summary>
/// The three things an fp8 linear needs from the device: cast a tensor to fp8 with its own tensorwise scale (and
/// record its amax), lay the codes out transposed, and multiply two fp8 operands. Two implementations: the CUDA one
/// (NVRTC cast kernels and cuBLASLt) and the CPU emulation the tests run, which computes the same values up to the
/// GEMM's accumulation order.
/// </summary>
public interface IFp8Backend
{
    string Name { get; }

    /// <summary>
    /// x (2-D, contiguous) cast with scale = format.Max / amax(x). The amax is also folded into
    /// <paramref name="amaxSlot"/> (a one-element float32 tensor: slot = max(slot, amax), NaN winning) so the step can
    /// see an overflow afterwards without a device sync per call.
    /// </summary>
    Fp8Tensor Quantize(Tensor x, Fp8Format format, Tensor amaxSlot);

    /// <summary>The same codes and scale, [cols, rows]: the other operand layout cuBLASLt's TN form needs.</summary>
    Fp8Tensor Transpose(Fp8Tensor t);

    /// <summary>a [m, k] times b [n, k] transposed: [m, n] in <paramref name="output"/>, with both inverse scales applied.</summary>
    Tensor Gemm(Fp8Tensor a, Fp8Tensor b, ScalarType output);
}
