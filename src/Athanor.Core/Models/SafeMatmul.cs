using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>
/// Matrix products through entry points whose native side catches libtorch's exceptions. TorchSharp 0.107's
/// Tensor.matmul calls THSTensor_matmul, which (unlike mm and bmm) has no try/catch: an error there, such as running
/// out of GPU memory, is a C++ exception thrown through .NET frames, and the process ends in std::terminate
/// (tests/Athanor.Core.Tests/NativeBoundaryTests.cs keeps our code off it).
/// </summary>
public static class SafeMatmul
{
    /// <summary>x [..., k] times w [k, n] gives [..., n].</summary>
    public static Tensor Rows(Tensor x, Tensor w)
    {
        using var flat = x.reshape(-1, x.shape[^1]);
        using var product = flat.mm(w);
        return product.reshape([.. x.shape[..^1], w.shape[1]]);
    }

    /// <summary>a [..., m, k] times b [..., k, n] (same leading dimensions) gives [..., m, n].</summary>
    public static Tensor Batched(Tensor a, Tensor b)
    {
        using var left = a.reshape(-1, a.shape[^2], a.shape[^1]);
        using var right = b.reshape(-1, b.shape[^2], b.shape[^1]);
        using var product = left.bmm(right);
        return product.reshape([.. a.shape[..^2], a.shape[^2], b.shape[^1]]);
    }
}
