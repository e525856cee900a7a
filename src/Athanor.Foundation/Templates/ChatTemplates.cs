using Athanor.Tokenization;

namespace Athanor.Templates;

/// <summary>Looks templates up by name: "model" (the tokenizer's own chat_template) or a LLaMA-Factory template name.</summary>
public static class ChatTemplates
{
    public const string ModelTemplateName = "model";

    /// <summary>"model" followed by the named templates, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } =
        new[] { ModelTemplateName }.Concat(LlamaFactoryTemplates.All.Keys.OrderBy(n => n, StringComparer.Ordinal)).ToArray();

    /// <param name="name">"model" or a named template (see <see cref="Names"/>).</param>
    /// <param name="tokenizer">Needed for "model" (its chat_template and bos/eos) and to render bos/eos text of named templates.</param>
    public static IChatTemplate Get(string name, ITokenizer? tokenizer)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == ModelTemplateName)
        {
            if (tokenizer == null) throw new ArgumentException("template \"model\" renders the tokenizer's chat_template, so it needs a tokenizer", nameof(tokenizer));
            return new ModelChatTemplate(tokenizer);
        }
        if (LlamaFactoryTemplates.All.TryGetValue(name, out var spec)) return new LlamaFactoryTemplate(spec, tokenizer);
        throw new UnknownTemplateException($"unknown chat template '{name}'; known templates: {string.Join(", ", Names)}");
    }
}
