namespace Athanor.Templates;

internal enum TemplateKind
{
    /// <summary>System (with tools) is its own element before the first user turn.</summary>
    Standard,

    /// <summary>System is fused into the first user message (Llama 2, Mistral).</summary>
    Llama2,

    /// <summary>Standard, plus an empty "&lt;think&gt;\n\n&lt;/think&gt;\n\n" before responses that carry no thought (Qwen3).</summary>
    Reasoning,
}

internal enum ToolFormat { None, Qwen }

/// <summary>A named template in LLaMA-Factory's terms: the slots of each formatter and its flags.</summary>
internal sealed record LlamaFactorySpec(
    string Name,
    TemplateSlot[] User,
    TemplateSlot[] Assistant,
    TemplateSlot[] System,
    TemplateSlot[] Observation,
    TemplateSlot[] Function,
    TemplateSlot[] Prefix,
    string DefaultSystem,
    string[] StopWords,
    bool ReplaceEos,
    TemplateKind Kind,
    ToolFormat Tools,
    string[] Markers)
{
    public const string ThoughtOpen = "<think>\n";
    public const string ThoughtClose = "\n</think>\n\n";
}
