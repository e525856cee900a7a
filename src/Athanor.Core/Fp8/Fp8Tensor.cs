using Athanor.Fp8;
using static TorchSharp.torch;

namespace Athanor.Fp8;

/// <summary>
/// A 2-D tensor cast to fp8 with its tensorwise scale: <see cref="Data"/> is [rows, cols] row-major (uint8 codes on the
/// GPU; the codes' values as float32 in the CPU emulation), <see cref="InverseScale"/> a one-element float32 tensor on
/// the same device, 1 / scale, which the GEMM multiplies its accumulator by.
/// </summary>
public sealed record Fp8Tensor(Tensor Data, Tensor InverseScale, Fp8Format Format) : IDisposable
{
    public long Rows => Data.shape[0];
    public long Cols => Data.shape[1];

    public void Dispose()
    {
        Data.Dispose();
        InverseScale.Dispose();
    }
}
