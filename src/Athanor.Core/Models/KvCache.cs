using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>
/// Keys and values of every layer for the tokens seen so far, so decoding runs each new token once instead of
/// recomputing the prompt. Rows of a batch may start with left padding: the cache remembers which cached slots
/// are real tokens and each row's next rotary position (real tokens only, as transformers counts them).
/// Buffers grow by doubling, so appending is amortized O(1) per token, not a copy of the whole cache.
/// </summary>
public sealed partial class KvCache : IDisposable
{
    private readonly ModelConfig _config;
    private readonly Tensor?[] _keys, _values; // [B, kvHeads, capacity, headDim]
    private readonly long[] _nextPosition;
    private Tensor? _valid; // [B, capacity] bool; null while no row has padding
    private long _capacity;

    public KvCache(ModelConfig config, int batchSize, long capacity = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _config = config;
        _keys = new Tensor?[config.NumLayers];
        _values = new Tensor?[config.NumLayers];
        _nextPosition = new long[batchSize];
        _capacity = Math.Max(1, capacity);
        BatchSize = batchSize;
    }

    public int BatchSize { get; }

    /// <summary>Slots cached per row (padding included), i.e. the key length of the next step's attention.</summary>
    public long Length { get; private set; }

    /// <summary>Rotary positions of the current step's tokens [B, 1, T, headDim] (cos, sin); set by <see cref="Begin"/>.</summary>
    internal (Tensor Cos, Tensor Sin) Angles => (_cos ?? throw new InvalidOperationException("Begin a step first"), _sin!);

    private Tensor? _cos, _sin;

    /// <summary>
    /// The current step's attention mask [B, 1, T, Length + T] (true = may attend), or null when plain causal
    /// attention is exact: then <see cref="StepIsCausal"/> says whether a causal mask is still needed.
    /// </summary>
    internal Tensor? StepMask { get; private set; }

    internal bool StepIsCausal { get; private set; }

    private long _stepLength;

    /// <summary>
    /// Prepares a forward over T new tokens per row. attentionMask [B, T] (1 = token, 0 = padding) may be null
    /// when every new token is real. The step's tensors live until the next Begin or Dispose.
    /// </summary>
    internal void Begin(long newTokens, Tensor? attentionMask, RotaryEmbedding rope, Device device, ScalarType dtype)
    {
        DisposeStep();
        _stepLength = newTokens;
        EnsureCapacity(Length + newTokens);

        bool[]? mask = null;
        if (attentionMask is not null)
        {
            using var flags = attentionMask.to_type(ScalarType.Bool);
            using var host = flags.cpu();
            mask = host.data<bool>().ToArray();
        }
        if (mask is not null && mask.Length != BatchSize * newTokens)
            throw new ArgumentException($"attention mask has {mask.Length} entries; expected batch {BatchSize} x {newTokens} new tokens");
        bool anyPadding = mask is not null && mask.Contains(false);

        var positions = new long[BatchSize * newTokens];
        for (int b = 0; b < BatchSize; b++)
            for (long t = 0; t < newTokens; t++)
            {
                long i = b * newTokens + t;
                bool real = mask?[i] ?? true;
                // transformers: cumsum(mask) - 1 for tokens, 1 for padding (its value never matters).
                positions[i] = real ? _nextPosition[b]++ : 1;
            }
        long maxPosition = positions.Length == 0 ? 0 : positions.Max();
        using (var scope = NewDisposeScope())
        {
            var (cosTable, sinTable) = rope.Angles(Math.Max(maxPosition + 1, _capacity), device, dtype);
            var index = tensor(positions, device: device);
            _cos = cosTable.index_select(0, index).view(BatchSize, 1, newTokens, -1).DetachFromDisposeScope();
            _sin = sinTable.index_select(0, index).view(BatchSize, 1, newTokens, -1).DetachFromDisposeScope();
        }

        if (anyPadding && _valid is null)
            _valid = ones(BatchSize, _capacity, dtype: ScalarType.Bool, device: device).DetachFromDisposeScope();
        if (_valid is not null)
        {
            using var scope = NewDisposeScope();
            var step = mask is null ? ones(BatchSize, newTokens, dtype: ScalarType.Bool, device: device)
                : tensor(mask, device: device).view(BatchSize, newTokens);
            _valid.narrow(1, Length, newTokens).copy_(step);
        }
        StepMask = BuildMask(newTokens, device, out bool causal)?.DetachFromDisposeScope();
        StepIsCausal = causal;
    }

    /// <summary>Writes layer's new keys and values [B, kvHeads, T, D] and returns all cached ones (views into the buffers).</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        if (_keys[layer] is null)
        {
            long[] shape = [BatchSize, keys.shape[1], _capacity, keys.shape[3]];
            _keys[layer] = zeros(shape, dtype: keys.dtype, device: keys.device).DetachFromDisposeScope();
            _values[layer] = zeros(shape, dtype: values.dtype, device: values.device).DetachFromDisposeScope();
        }
        _keys[layer]!.narrow(2, Length, _stepLength).copy_(keys);
        _values[layer]!.narrow(2, Length, _stepLength).copy_(values);
        long total = Length + _stepLength;
        return (_keys[layer]!.narrow(2, 0, total), _values[layer]!.narrow(2, 0, total));
    }

    /// <summary>Marks the step's tokens as cached (called once every layer has appended).</summary>
    internal void Commit()
    {
        Length += _stepLength;
        _stepLength = 0;
    }

    /// <summary>
    /// Query i (slot Length + i) may see key slot j when j &lt;= i, j is a real token and, with a sliding window,
    /// i - j &lt; window (slots, as transformers counts them). A query always sees itself, so padding rows never
    /// attend to nothing (which would give NaN that leaks through zero attention weights).
    /// </summary>
    private Tensor? BuildMask(long newTokens, Device device, out bool causal)
    {
        long total = Length + newTokens;
        int? window = _config.SlidingWindow;
        bool windowBites = window is int w && total > w;
        causal = false;
        if (_valid is null && !windowBites)
        {
            if (newTokens == 1) return null;          // one query sees every cached key
            if (Length == 0) { causal = true; return null; } // a fresh prompt: plain causal attention
        }
        using var scope = NewDisposeScope();
        var query = arange(Length, total, device: device).unsqueeze(1);
        var key = arange(total, device: device).unsqueeze(0);
        var allowed = key <= query;
        if (window is int size) allowed = allowed.logical_and(query - key < size);
        var mask = allowed.unsqueeze(0).unsqueeze(0); // [1, 1, T, total]
        if (_valid is not null)
            mask = mask.logical_and(_valid.narrow(1, 0, total).view(BatchSize, 1, 1, total))
                .logical_or((key == query).unsqueeze(0).unsqueeze(0));
        return mask.expand(BatchSize, 1, newTokens, total).MoveToOuterDisposeScope();
    }

    private void EnsureCapacity(long needed)
    {
        if (needed <= _capacity) return;
        long grown = _capacity;
        while (grown < needed) grown *= 2;
        for (int i = 0; i < _keys.Length; i++)
        {
            _keys[i] = Grow(_keys[i], grown, dim: 2);
            _values[i] = Grow(_values[i], grown, dim: 2);
        }
        if (_valid is not null) _valid = Grow(_valid, grown, dim: 1);
        _capacity = grown;
    }

    private Tensor? Grow(Tensor? buffer, long capacity, int dim)
    {
        if (buffer is null) return null;
        var shape = buffer.shape.ToArray();
        shape[dim] = capacity;
        var bigger = buffer.dtype == ScalarType.Bool ? ones(shape, dtype: ScalarType.Bool, device: buffer.device) : zeros(shape, dtype: buffer.dtype, device: buffer.device);
        using (var target = bigger.narrow(dim, 0, Length))
        using (var source = buffer.narrow(dim, 0, Length))
            target.copy_(source);
        buffer.Dispose();
        return bigger.DetachFromDisposeScope();
    }

    private void DisposeStep()
    {
        _cos?.Dispose();
        _sin?.Dispose();
        _cos = _sin = null;
        StepMask?.Dispose();
        StepMask = null;
    }

    public void Dispose()
    {
        DisposeStep();
        foreach (var t in _keys) t?.Dispose();
        foreach (var t in _values) t?.Dispose();
        _valid?.Dispose();
    }
}
