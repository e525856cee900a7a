using Athanor.Lora;
using Athanor.Models;
using Athanor.Native;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Inference;

/// <summary>
/// A Hugging Face model folder ready for generation and evaluation: the model (with a PEFT adapter merged in
/// when one is given, so decoding pays nothing for it), its tokenizer and the ids its generation config names.
/// </summary>
public sealed class InferenceModel : IDisposable
{
    private InferenceModel(string folder, CausalLM model, ITokenizer tokenizer, GenerationConfigFile generation)
    {
        Folder = folder;
        Model = model;
        Tokenizer = tokenizer;
        Generation = generation;
    }

    public string Folder { get; }
    public CausalLM Model { get; }
    public ITokenizer Tokenizer { get; }
    public GenerationConfigFile Generation { get; }

    /// <summary>The id that fills left padding: the model's pad id, else the tokenizer's, else eos, else 0.</summary>
    public int PadTokenId => Generation.PadTokenId ?? Model.Config.PadTokenId ?? Tokenizer.PadTokenId
        ?? Generation.EosTokenIds.Concat(Model.Config.EosTokenIds).Cast<int?>().FirstOrDefault() ?? Tokenizer.EosTokenId ?? 0;

    /// <param name="folder">config.json + safetensors weights (+ tokenizer files).</param>
    /// <param name="adapter">A PEFT LoRA adapter folder trained on this model, or null.</param>
    /// <param name="tokenizer">"byte", a folder with tokenizer.json, or null for the model folder's own.</param>
    /// <param name="threads">libtorch intra-op threads (null: libtorch's default). Small models decode fastest on one.</param>
    public static InferenceModel Load(string folder, string? adapter = null, string? tokenizer = null, int? threads = null)
    {
        if (!File.Exists(Path.Combine(folder, "config.json")) && File.Exists(Path.Combine(folder, PeftAdapter.ConfigFile)))
            throw new ArgumentException($"{folder} holds a PEFT adapter, not a model; pass the base model as --model and this folder as --adapter");
        TorchRuntime.Initialize(threads);
        if (threads is int n)
        {
            if (n < 1) throw new ArgumentException($"threads {n}: accepted: an integer >= 1");
            TorchSharp.torch.set_num_threads(n);
        }
        var config = ModelConfig.Load(folder);
        var tok = TokenizerLocator.Load(folder, tokenizer);
        if (tok.VocabSize > config.VocabSize)
            throw new ArgumentException($"the tokenizer has {tok.VocabSize} tokens but {folder}/config.json has vocab_size {config.VocabSize}: they are not from the same model");
        var model = new CausalLM(config, initialize: false); // weights are loaded next
        try
        {
            ModelWeights.Load(model, folder);
            if (adapter is not null)
            {
                PeftAdapter.Load(model, adapter);
                LoraModel.MergeInPlace(model);
            }
            foreach (var p in model.parameters()) p.requires_grad = false;
            model.eval();
            return new InferenceModel(folder, model, tok, GenerationConfigFile.Read(folder));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The named template ("model" or a LLaMA-Factory name) for this model's tokenizer.</summary>
    public IChatTemplate Template(string name) => ChatTemplates.Get(name, Tokenizer);

    /// <summary>Stop ids for generation with this model and (optionally) a template.</summary>
    public IReadOnlySet<int> StopTokenIds(IChatTemplate? template) => StopTokens.Collect(Model.Config, Generation, Tokenizer, template);

    public void Dispose() => Model.Dispose();
}
