using Athanor.Templates;

namespace Athanor.Inference;

/// <summary>One prompt and what the model wrote after it.</summary>
public sealed record TextCompletion(string Prompt, string Text, int Tokens, FinishReason FinishReason);

/// <summary>From prompt strings to completion strings: encode (through a template when given), generate, decode.</summary>
public static class TextGeneration
{
    /// <param name="options">Stop ids are added from the model's configs, tokenizer and template.</param>
    public static (IReadOnlyList<TextCompletion> Completions, GenerationStats Stats) Run(
        InferenceModel model, IReadOnlyList<string> prompts, GenerationOptions options, IChatTemplate? template = null)
    {
        var ids = prompts.Select(p => (IReadOnlyList<int>)PromptEncoder.Encode(p, model.Tokenizer, template)).ToList();
        var stops = new HashSet<int>(options.StopTokenIds);
        stops.UnionWith(model.StopTokenIds(template));
        var (completions, stats) = Decoding.Generate(model.Model, ids, options with { StopTokenIds = stops }, model.PadTokenId);
        var texts = completions.Select((c, i) => new TextCompletion(prompts[i], model.Tokenizer.Decode(c.TokenIds, skipSpecialTokens: true),
            c.TokenIds.Length, c.FinishReason)).ToList();
        return (texts, stats);
    }
}
