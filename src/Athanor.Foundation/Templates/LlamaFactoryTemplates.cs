namespace Athanor.Templates;

/// <summary>
/// The named templates, with the formats LLaMA-Factory registers under the same names (src/llamafactory/data/template.py).
/// Formatters a template does not set take LLaMA-Factory's defaults: user "{{content}}", assistant "{{content}}"+eos,
/// system = user formatter, observation = user formatter, function = assistant slots.
/// </summary>
internal static class LlamaFactoryTemplates
{
    private static TemplateSlot T(string s) => new TemplateSlot.Text(s);
    private static readonly TemplateSlot Bos = TemplateSlot.BosToken;
    private static readonly TemplateSlot Eos = TemplateSlot.EosToken;
    private static readonly TemplateSlot[] Empty = Array.Empty<TemplateSlot>();

    private static LlamaFactorySpec Make(
        string name,
        TemplateSlot[]? user = null,
        TemplateSlot[]? assistant = null,
        TemplateSlot[]? system = null,
        TemplateSlot[]? observation = null,
        TemplateSlot[]? function = null,
        TemplateSlot[]? prefix = null,
        string defaultSystem = "",
        string[]? stopWords = null,
        bool replaceEos = false,
        TemplateKind kind = TemplateKind.Standard,
        ToolFormat tools = ToolFormat.None,
        string[]? markers = null)
    {
        var u = user ?? new[] { T("{{content}}") };
        var a = assistant ?? new[] { T("{{content}}"), Eos };
        return new LlamaFactorySpec(name, u, a, system ?? new[] { T("{{content}}") }, observation ?? u, function ?? a, prefix ?? Empty,
            defaultSystem, stopWords ?? Array.Empty<string>(), replaceEos, kind, tools, markers ?? Array.Empty<string>());
    }

    private const string QwenUser = "<|im_start|>user\n{{content}}<|im_end|>\n<|im_start|>assistant\n";
    private const string QwenObservation = "<|im_start|>user\n<tool_response>\n{{content}}\n</tool_response><|im_end|>\n<|im_start|>assistant\n";
    private static readonly string[] QwenMarkers = { "<|im_start|>", "<|im_end|>" };
    private static readonly string[] Llama3Markers = { "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>" };

    private static LlamaFactorySpec Qwen(string name, string defaultSystem, TemplateKind kind) => Make(
        name,
        user: new[] { T(QwenUser) },
        assistant: new[] { T("{{content}}<|im_end|>\n") },
        system: new[] { T("<|im_start|>system\n{{content}}<|im_end|>\n") },
        observation: new[] { T(QwenObservation) },
        function: new[] { T("{{content}}<|im_end|>\n") },
        defaultSystem: defaultSystem,
        stopWords: new[] { "<|im_end|>" },
        replaceEos: true,
        kind: kind,
        tools: ToolFormat.Qwen,
        markers: QwenMarkers);

    public static readonly IReadOnlyDictionary<string, LlamaFactorySpec> All = new[]
    {
        Make("alpaca",
            user: new[] { T("### Instruction:\n{{content}}\n\n### Response:\n") },
            assistant: new[] { T("{{content}}"), Eos, T("\n\n") },
            defaultSystem: "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"),
        Make("default",
            user: new[] { T("Human: {{content}}"), Eos, T("\nAssistant:") },
            assistant: new[] { T("{{content}}"), Eos, T("\n") },
            system: new[] { T("System: {{content}}"), Eos, T("\n") }),
        Make("llama2",
            user: new[] { Bos, T("[INST] {{content}} [/INST]") },
            system: new[] { T("<<SYS>>\n{{content}}\n<</SYS>>\n\n") },
            kind: TemplateKind.Llama2),
        Make("llama3",
            user: new[] { T("<|start_header_id|>user<|end_header_id|>\n\n{{content}}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n") },
            assistant: new[] { T("{{content}}<|eot_id|>") },
            system: new[] { T("<|start_header_id|>system<|end_header_id|>\n\n{{content}}<|eot_id|>") },
            observation: new[] { T("<|start_header_id|>ipython<|end_header_id|>\n\n{{content}}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n") },
            function: new[] { T("{{content}}<|eot_id|>") },
            prefix: new[] { Bos },
            stopWords: new[] { "<|eot_id|>", "<|eom_id|>" },
            replaceEos: true,
            markers: Llama3Markers),
        Make("mistral",
            user: new[] { T("[INST] {{content}}[/INST]") },
            assistant: new[] { T(" {{content}}"), Eos },
            system: new[] { T("{{content}}\n\n") },
            observation: new[] { T("[TOOL_RESULTS] {\"content\": {{content}}}[/TOOL_RESULTS]") },
            function: new[] { T("[TOOL_CALLS] {{content}}"), Eos },
            prefix: new[] { Bos },
            kind: TemplateKind.Llama2),
        Qwen("qwen", "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", TemplateKind.Standard),
        Qwen("qwen3", "", TemplateKind.Reasoning),
        Qwen("qwen3_nothink", "", TemplateKind.Standard),
    }.ToDictionary(s => s.Name, StringComparer.Ordinal);
}
