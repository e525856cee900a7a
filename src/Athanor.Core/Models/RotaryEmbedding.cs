using Athanor.Kernels;
using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>
/// Rotary position embedding: inverse frequencies (with Llama 3's or linear scaling) and the rotation
/// applied to queries and keys. Angles are computed in fp32 and cached per sequence length.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _invFreq;
    private readonly double _positionScale;
    private (long Length, Device Device, ScalarType Dtype, Tensor Cos, Tensor Sin)? _cache;

    public RotaryEmbedding(int headDim, RopeSettings rope)
    {
        var freqs = new double[headDim / 2];
        for (int i = 0; i < freqs.Length; i++)
            freqs[i] = 1.0 / Math.Pow(rope.Theta, 2.0 * i / headDim);
        if (rope.Type == "llama3") ScaleLikeLlama3(freqs, rope);
        _positionScale = rope.Type == "linear" ? 1.0 / rope.Factor : 1.0;
        // fp32 like transformers, which builds inv_freq in fp32 from an int64 arange.
        _invFreq = tensor(freqs.Select(f => (float)f).ToArray(), device: CPU); // never on the meta device: the angles are computed from it
    }

    /// <summary>Llama 3.1's rule: long wavelengths slowed by factor, short ones kept, a smooth blend between.</summary>
    private static void ScaleLikeLlama3(double[] freqs, RopeSettings rope)
    {
        double lowWavelen = rope.OriginalMaxPositionEmbeddings / rope.LowFreqFactor;
        double highWavelen = rope.OriginalMaxPositionEmbeddings / rope.HighFreqFactor;
        for (int i = 0; i < freqs.Length; i++)
        {
            // transformers computes this in fp32; round the same way so the parity holds.
            float f = (float)freqs[i];
            double wavelen = 2 * Math.PI / f;
            if (wavelen > lowWavelen)
                freqs[i] = f / rope.Factor;
            else if (wavelen >= highWavelen)
            {
                double smooth = (rope.OriginalMaxPositionEmbeddings / wavelen - rope.LowFreqFactor) / (rope.HighFreqFactor - rope.LowFreqFactor);
                freqs[i] = (1 - smooth) * f / rope.Factor + smooth * f;
            }
            else freqs[i] = f;
        }
    }

    /// <summary>cos and sin of shape [T, headDim] for positions 0..T-1, in the given dtype.</summary>
    public (Tensor Cos, Tensor Sin) Angles(long length, Device device, ScalarType dtype)
    {
        if (_cache is { } c && c.Length >= length && c.Device == device && c.Dtype == dtype)
            return (c.Cos.narrow(0, 0, length), c.Sin.narrow(0, 0, length));
        _cache?.Cos.Dispose();
        _cache?.Sin.Dispose();
        Tensor cos, sin;
        using (NewDisposeScope())
        {
            var positions = arange(length, dtype: ScalarType.Float32) * _positionScale;
            var angles = outer(positions, _invFreq);
            var emb = cat([angles, angles], -1).to(device);
            cos = emb.cos().to_type(dtype).DetachFromDisposeScope();
            sin = emb.sin().to_type(dtype).DetachFromDisposeScope();
        }
        _cache = (length, device, dtype, cos, sin);
        return (cos.narrow(0, 0, length), sin.narrow(0, 0, length));
    }

    /// <summary>x: [B, H, T, D]; rotates pairs (i, i + D/2) as transformers' rotate_half does.</summary>
    /// <param name="fused">take the fused kernel where it applies (the model's kernel plan says whether it is faster)</param>
    /// <param name="gradients">the owner of the fused kernel's backward results (the model's); the fused kernel needs one</param>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin, bool fused = false, Training.BackwardResults? gradients = null)
    {
        if (fused && gradients is not null && FusedKernels.Applies(x) && cos.dtype == x.dtype && cos.dim() == 2 && cos.is_contiguous() && sin.is_contiguous())
            return FusedOps.Rotary(x, cos, sin, gradients);
        using var scope = NewDisposeScope();
        long half = x.shape[^1] / 2;
        var rotated = cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _invFreq.Dispose();
        _cache?.Cos.Dispose();
        _cache?.Sin.Dispose();
    }
}
