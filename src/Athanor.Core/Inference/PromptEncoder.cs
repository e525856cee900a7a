using Athanor.Data;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Inference;

/// <summary>
/// Token ids of a prompt to continue. Plain text gets the tokenizer's bos in front when it has one (as Llama and
/// Mistral tokenizers add it; Qwen's have none). With a chat template the text is a user turn followed by the
/// assistant's generation prompt, exactly the ids the template gives that turn in training.
/// </summary>
public static class PromptEncoder
{
    public static int[] Encode(string prompt, ITokenizer tokenizer, IChatTemplate? template = null, string? system = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (template is null)
        {
            var ids = tokenizer.Encode(prompt, addSpecialTokens: false);
            return tokenizer.BosTokenId is int bos ? [bos, .. ids] : [.. ids];
        }
        if (template is ModelChatTemplate model)
        {
            // transformers' apply_chat_template(messages, add_generation_prompt=True), tokenized without extra specials.
            var messages = new List<object?>();
            if (system is not null) messages.Add(Message("system", system));
            messages.Add(Message("user", prompt));
            var text = model.RenderVariables(new Dictionary<string, object?> { ["messages"] = messages, ["add_generation_prompt"] = true });
            return [.. tokenizer.Encode(text, addSpecialTokens: false)];
        }
        // LLaMA-Factory's inference: encode [user, empty assistant] and keep the prompt part (the ids before the
        // first trained one). Its user slot already ends with the assistant header.
        var sample = template.Encode(new Conversation([new ChatMessage("user", prompt), new ChatMessage("assistant", "")], system), tokenizer);
        int cut = Array.FindIndex(sample.Labels, l => l != TokenizedSample.IgnoreIndex);
        return cut < 0 ? sample.InputIds : sample.InputIds[..cut];
    }

    private static Dictionary<string, object?> Message(string role, string content) =>
        new(StringComparer.Ordinal) { ["role"] = role, ["content"] = content };
}
