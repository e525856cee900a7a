using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>Grouped-query self-attention with rotary embeddings and causal (optionally sliding-window) masking.</summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly ModelConfig _config;
    private readonly RotaryEmbedding _rope;
    private readonly Projection _q, _k, _v, _o;
    private readonly RmsNorm? _qNorm, _kNorm;
    private readonly ModelKernels? _kernels;

    public Attention(ModelConfig config, RotaryEmbedding rope, ModelKernels? kernels = null) : base(nameof(Attention))
    {
        _config = config;
        _kernels = kernels;
        _rope = rope;
        int h = config.HiddenSize, d = config.HeadDim;
        _q = new Projection(h, config.NumHeads * d, config.QkvBias);
        _k = new Projection(h, config.NumKeyValueHeads * d, config.QkvBias);
        _v = new Projection(h, config.NumKeyValueHeads * d, config.QkvBias);
        _o = new Projection(config.NumHeads * d, h, config.OutputBias);
        register_module("q_proj", _q);
        register_module("k_proj", _k);
        register_module("v_proj", _v);
        register_module("o_proj", _o);
        if (config.QkNorm)
        {
            _qNorm = new RmsNorm(d, config.RmsNormEps, kernels);
            _kNorm = new RmsNorm(d, config.RmsNormEps, kernels);
            register_module("q_norm", _qNorm);
            register_module("k_norm", _kNorm);
        }
    }

    public IEnumerable<(string Name, Projection Projection)> Projections =>
        [("q_proj", _q), ("k_proj", _k), ("v_proj", _v), ("o_proj", _o)];

    public override Tensor forward(Tensor x) => Forward(x, null, 0);

    /// <summary>
    /// With a cache, x holds only the new tokens: their keys and values are appended to the layer's cache and
    /// the queries attend to everything cached, at the rotary positions and under the mask the cache prepared.
    /// </summary>
    public Tensor Forward(Tensor x, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        int d = _config.HeadDim;
        var q = _q.forward(x).view(b, t, _config.NumHeads, d);
        var k = _k.forward(x).view(b, t, _config.NumKeyValueHeads, d);
        var v = _v.forward(x).view(b, t, _config.NumKeyValueHeads, d);
        if (_qNorm is not null) q = _qNorm.forward(q);
        if (_kNorm is not null) k = _kNorm!.forward(k);
        q = q.transpose(1, 2);
        k = k.transpose(1, 2);
        v = v.transpose(1, 2);

        var (cos, sin) = cache is null ? _rope.Angles(t, x.device, x.dtype) : cache.Angles;
        bool fused = _kernels?.Plan.Rotary == true;
        q = RotaryEmbedding.Apply(q, cos, sin, fused, _kernels?.Gradients);
        k = RotaryEmbedding.Apply(k, cos, sin, fused, _kernels?.Gradients);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);

        int groups = _config.NumHeads / _config.NumKeyValueHeads;
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, dim: 1);
            v = v.repeat_interleave(groups, dim: 1);
        }

        Tensor attended;
        if (cache is not null)
            attended = cache.StepMask is Tensor mask
                ? nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask)
                : nn.functional.scaled_dot_product_attention(q, k, v, is_casual: cache.StepIsCausal);
        else if (_config.SlidingWindow is int window && t > window)
            attended = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: SlidingWindowMask(t, window, x.device));
        else
            attended = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);

        var merged = attended.transpose(1, 2).reshape(b, t, _config.NumHeads * d);
        return _o.forward(merged).MoveToOuterDisposeScope();
    }

    /// <summary>True where query i may attend key j: j &lt;= i and i - j &lt; window (transformers' rule).</summary>
    private static Tensor SlidingWindowMask(long t, int window, Device device)
    {
        var i = arange(t, device: device).unsqueeze(1);
        var j = arange(t, device: device).unsqueeze(0);
        return (j <= i).logical_and(i - j < window);
    }
}
