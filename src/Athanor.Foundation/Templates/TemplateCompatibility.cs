using Athanor.Tokenization;

namespace Athanor.Templates;

/// <summary>Catches a template meant for another model family before training on it (e.g. Llama 3's template on a Qwen tokenizer).</summary>
public static class TemplateCompatibility
{
    /// <summary>
    /// Throws <see cref="TemplateMismatchException"/> when one of the template's special markers is not a single token of
    /// the tokenizer. <paramref name="tokenizerName"/> (e.g. the model folder) is named in the message.
    /// </summary>
    public static void Check(IChatTemplate template, ITokenizer tokenizer, string? tokenizerName = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (template is not ITemplateMarkers markers) return;
        string who = tokenizerName ?? $"{tokenizer.GetType().Name} (vocab {tokenizer.VocabSize}, eos {tokenizer.EosToken ?? "none"})";
        foreach (var marker in markers.SpecialMarkers)
        {
            var ids = tokenizer.Encode(marker, addSpecialTokens: false);
            if (ids.Count == 1 && tokenizer.TokenToId(marker) == ids[0]) continue;
            throw new TemplateMismatchException(
                $"chat template '{template.Name}' writes the special marker '{marker}', but tokenizer {who} " +
                (tokenizer.TokenToId(marker) == null ? "has no such token" : $"splits it into {ids.Count} tokens") +
                $" (encodes it as {ids.Count} ids); the template belongs to another model family. Pick the template of this model " +
                "(\"model\" uses the tokenizer's own chat_template).");
        }
    }
}
