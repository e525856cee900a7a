using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>Embedding, the stack of decoder layers and the final norm (Hugging Face's "model." prefix).</summary>
public sealed class DecoderModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding _embed;
    private readonly ModuleList<DecoderLayer> _layers;
    private readonly RmsNorm _norm;

    public DecoderModel(ModelConfig config, RotaryEmbedding rope, ModelKernels? kernels = null) : base(nameof(DecoderModel))
    {
        _embed = nn.Embedding(config.VocabSize, config.HiddenSize, device: ModelConstruction.Device);
        _layers = new ModuleList<DecoderLayer>(Enumerable.Range(0, config.NumLayers).Select(_ => new DecoderLayer(config, rope, kernels)).ToArray());
        _norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, kernels);
        register_module("embed_tokens", _embed);
        register_module("layers", _layers);
        register_module("norm", _norm);
    }

    public Embedding EmbedTokens => _embed;
    public IList<DecoderLayer> Layers => _layers;

    /// <summary>
    /// How each layer is run in training: a plain call unless wrappers are installed (activation checkpointing,
    /// ZeRO-3, gradient hooks add theirs from outside, so this code stays single-device).
    /// </summary>
    public LayerWrappers LayerWrappers { get; } = new();

    public override Tensor forward(Tensor inputIds) => Forward(inputIds, null);

    /// <summary>
    /// Hidden states of inputIds. With a cache (decoding), inputIds are only the new tokens; layers are then
    /// called directly, since the layer wrappers (activation checkpointing) are for training.
    /// </summary>
    public Tensor Forward(Tensor inputIds, KvCache? cache)
    {
        var x = _embed.forward(inputIds);
        for (int i = 0; i < _layers.Count; i++)
        {
            var next = cache is null ? LayerWrappers.Run(_layers[i], i, x) : _layers[i].Forward(x, cache, i);
            x.Dispose();
            x = next;
        }
        var normed = _norm.forward(x);
        x.Dispose();
        return normed;
    }
}
