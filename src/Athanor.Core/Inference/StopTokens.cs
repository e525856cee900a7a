using Athanor.Models;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Inference;

/// <summary>The ids that end a completion: config.json's and generation_config.json's eos ids, the tokenizer's eos, the template's stop words.</summary>
public static class StopTokens
{
    public static IReadOnlySet<int> Collect(ModelConfig config, GenerationConfigFile generation, ITokenizer tokenizer, IChatTemplate? template)
    {
        var ids = new HashSet<int>(config.EosTokenIds);
        ids.UnionWith(generation.EosTokenIds);
        if (tokenizer.EosTokenId is int eos) ids.Add(eos);
        if (template is not null)
            foreach (var word in TemplateStopWords(template))
                if (tokenizer.TokenToId(word) is int id) ids.Add(id);
        return ids;
    }

    /// <summary>LLaMA-Factory's stop_words for a named template (e.g. &lt;|im_end|&gt;, &lt;|eot_id|&gt;); none for "model".</summary>
    private static IEnumerable<string> TemplateStopWords(IChatTemplate template) =>
        LlamaFactoryTemplates.All.TryGetValue(template.Name, out var spec) && template is LlamaFactoryTemplate ? spec.StopWords : [];
}
