using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>One pre-norm transformer block: x + attn(norm(x)), then h + mlp(norm(h)).</summary>
public sealed class DecoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly RmsNorm _inputNorm, _postAttentionNorm;
    private readonly Attention _attention;
    private readonly Mlp _mlp;

    public DecoderLayer(ModelConfig config, RotaryEmbedding rope, ModelKernels? kernels = null) : base(nameof(DecoderLayer))
    {
        _inputNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, kernels);
        _attention = new Attention(config, rope, kernels);
        _postAttentionNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, kernels);
        _mlp = new Mlp(config, kernels);
        register_module("input_layernorm", _inputNorm);
        register_module("self_attn", _attention);
        register_module("post_attention_layernorm", _postAttentionNorm);
        register_module("mlp", _mlp);
    }

    public IEnumerable<(string Name, Projection Projection)> Projections =>
        _attention.Projections.Select(p => ("self_attn." + p.Name, p.Projection))
            .Concat(_mlp.Projections.Select(p => ("mlp." + p.Name, p.Projection)));

    public override Tensor forward(Tensor x) => Forward(x, null, 0);

    /// <summary>The block over new tokens only, attending to what <paramref name="cache"/> holds for this layer.</summary>
    public Tensor Forward(Tensor x, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        var h = x + _attention.Forward(_inputNorm.forward(x), cache, layer);
        return (h + _mlp.forward(_postAttentionNorm.forward(h))).MoveToOuterDisposeScope();
    }
}
