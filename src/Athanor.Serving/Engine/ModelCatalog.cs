using Athanor.Inference;
using Athanor.Serving.Hosting;

namespace Athanor.Serving.Engine;

/// <summary>
/// The base model and each adapter under their ids. An adapter is merged into its own copy of the base, so decoding
/// pays nothing for it; the price is one copy of the weights per adapter (fine for the small models this serves on
/// CPU; sharing one base across adapters, as S-LoRA does, is left for later).
/// </summary>
public sealed class ModelCatalog : IDisposable
{
    private readonly Dictionary<string, ServedModel> _models = new(StringComparer.Ordinal);

    private ModelCatalog() { }

    public IReadOnlyCollection<ServedModel> Models => _models.Values;

    public static ModelCatalog Load(ServingOptions options)
    {
        var catalog = new ModelCatalog();
        try
        {
            catalog.Add(options.BaseName, InferenceModel.Load(options.ModelDir, null, options.Tokenizer, options.Threads), options, null);
            foreach (var (name, dir) in options.Adapters)
                catalog.Add(name, InferenceModel.Load(options.ModelDir, dir, options.Tokenizer), options, dir);
            return catalog;
        }
        catch
        {
            catalog.Dispose();
            throw;
        }
    }

    private void Add(string id, InferenceModel model, ServingOptions options, string? adapterDir)
    {
        try
        {
            _models.Add(id, new ServedModel(id, model, TemplateOrNull(model, options.Template), adapterDir));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>"model" without a chat_template leaves chat unavailable (completions still work); a bad name fails at start.</summary>
    private static Athanor.Templates.IChatTemplate? TemplateOrNull(InferenceModel model, string name) =>
        name == "model" && model.Tokenizer.ChatTemplate is null ? null : model.Template(name);

    public ServedModel? Find(string id) => _models.GetValueOrDefault(id);

    public void Dispose()
    {
        foreach (var m in _models.Values) m.Model.Dispose();
        _models.Clear();
    }
}
