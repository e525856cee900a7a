using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>
/// A Llama-family causal language model (Llama 2/3, Mistral, Qwen2/2.5, Qwen3) whose parameter names
/// are exactly Hugging Face's, so safetensors folders load as they are.
/// </summary>
public sealed class CausalLM : nn.Module<Tensor, Tensor>
{
    private readonly DecoderModel _model;
    private readonly Projection? _lmHead;
    private readonly RotaryEmbedding _rope;

    /// <param name="initSeed">seed of the random initialization (its own generator, not torch's global one)</param>
    /// <param name="initialize">
    /// false skips the random initialization, for a model whose weights are loaded next (inference, export):
    /// it saves time on large models. Every weight must then be loaded before use.
    /// </param>
    public CausalLM(ModelConfig config, long initSeed = 0, bool initialize = true) : base(nameof(CausalLM))
    {
        Config = config;
        Kernels = new ModelKernels(Gradients);
        _rope = new RotaryEmbedding(config.HeadDim, config.Rope);
        _model = new DecoderModel(config, _rope, Kernels);
        register_module("model", _model);
        if (!config.TieWordEmbeddings)
        {
            _lmHead = new Projection(config.HiddenSize, config.VocabSize, hasBias: false);
            register_module("lm_head", _lmHead);
        }
        if (initialize) ModelInitializer.InitializeRandom(this, new Generator((ulong)initSeed, CPU));
    }

    public ModelConfig Config { get; }

    /// <summary>Which ops run as fused CUDA kernels (none until set: <see cref="Athanor.Kernels.KernelPlanner"/> measures it on the GPU).</summary>
    public ModelKernels Kernels { get; }

    /// <summary>
    /// What this model's custom autograd functions hand back to libtorch during a backward, released by whoever runs
    /// it once it returned (the trainer after each micro-batch): each model, so each rank's trainer, owns its own.
    /// </summary>
    public Training.BackwardResults Gradients { get; } = new();

    /// <summary>The fp8 GEMMs of the decoder's projections (fp8: true, issue 25), or null: set by <see cref="Athanor.Fp8.Fp8Linears.Apply"/>.</summary>
    public Athanor.Fp8.Fp8Linears? Fp8 { get; set; }
    public DecoderModel Model => _model;

    /// <summary>The output projection's weight (the embedding matrix when embeddings are tied).</summary>
    public Tensor OutputWeight => _lmHead?.Weight ?? _model.EmbedTokens.weight!;

    /// <summary>Final hidden states [B, T, H] for token ids [B, T].</summary>
    public Tensor Hidden(Tensor inputIds) => _model.forward(inputIds);

    /// <summary>
    /// Final hidden states [B, T, H] of new tokens [B, T] given what <paramref name="cache"/> holds, which they
    /// then join. attentionMask [B, T] marks real tokens (1) and left padding (0); null means all real.
    /// </summary>
    public Tensor Hidden(Tensor inputIds, KvCache cache, Tensor? attentionMask = null)
    {
        if (inputIds.shape[0] != cache.BatchSize)
            throw new ArgumentException($"input batch {inputIds.shape[0]} does not match the cache's batch {cache.BatchSize}");
        var embedding = _model.EmbedTokens.weight!;
        cache.Begin(inputIds.shape[1], attentionMask, _rope, embedding.device, embedding.dtype);
        var hidden = _model.Forward(inputIds, cache);
        cache.Commit();
        return hidden;
    }

    /// <summary>Logits [.., V] for hidden states [.., H].</summary>
    public Tensor Logits(Tensor hidden) =>
        _lmHead is not null ? _lmHead.forward(hidden) : nn.functional.linear(hidden, _model.EmbedTokens.weight!);

    /// <summary>Every projection of the decoder blocks with its Hugging Face module path (lm_head excluded).</summary>
    public IEnumerable<(string Name, Projection Projection)> BlockProjections() =>
        _model.Layers.SelectMany((layer, i) => layer.Projections.Select(p => ($"model.layers.{i}.{p.Name}", p.Projection)));

    public override Tensor forward(Tensor inputIds)
    {
        using var hidden = Hidden(inputIds);
        return Logits(hidden);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _rope.Dispose();
            Fp8?.Dispose();
        }
        base.Dispose(disposing);
    }
}
