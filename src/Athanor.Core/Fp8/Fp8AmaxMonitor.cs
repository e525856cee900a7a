using static TorchSharp.torch;

namespace Athanor.Fp8;

/// <summary>
/// The amax of every tensor the model's fp8 GEMMs cast this step, one slot per (projection, operand), kept on the
/// device: each cast folds its amax into its slot (NaN wins), and the trainer reads all of them once per step to find
/// an overflow (an infinite or NaN amax: the tensor has no valid scale, so the step must not be applied).
/// </summary>
public sealed class Fp8AmaxMonitor : IDisposable
{
    private readonly Tensor _amax;
    private readonly Tensor[] _slots;
    private readonly string[] _names;

    public Fp8AmaxMonitor(IReadOnlyList<string> names, Device device)
    {
        _names = [.. names];
        _amax = zeros(_names.Length, ScalarType.Float32, device);
        _slots = [.. Enumerable.Range(0, _names.Length).Select(i => _amax.narrow(0, i, 1))];
    }

    public int Count => _names.Length;

    /// <summary>The one-element view a cast writes its amax into.</summary>
    public Tensor Slot(int index) => _slots[index];

    /// <summary>Called at the start of each step: the amaxes are per step.</summary>
    public void Reset()
    {
        using var _ = no_grad();
        _amax.zero_();
    }

    /// <summary>The slot name (projection and operand) of the first infinite or NaN amax since <see cref="Reset"/>, or null.</summary>
    public string? FirstOverflow()
    {
        using var _ = no_grad();
        using var finite = _amax.isfinite();
        using var all = finite.all();
        if (all.item<bool>()) return null;
        using var onHost = finite.cpu();
        var flags = onHost.data<bool>().ToArray();
        int index = Array.IndexOf(flags, false);
        using var value = _amax[index];
        return $"{_names[index]} (amax {value.item<float>().ToString(System.Globalization.CultureInfo.InvariantCulture)})";
    }

    /// <summary>Every amax of this step, by slot name (the self-test and tests read them).</summary>
    public IReadOnlyDictionary<string, float> Snapshot()
    {
        using var onHost = _amax.cpu();
        var values = onHost.data<float>().ToArray();
        return _names.Select((n, i) => (n, values[i])).ToDictionary(p => p.n, p => p.Item2);
    }

    public void Dispose()
    {
        foreach (var s in _slots) s.Dispose();
        _amax.Dispose();
    }
}
