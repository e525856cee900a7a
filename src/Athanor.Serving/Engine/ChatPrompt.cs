using Athanor.Data;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Serving.Engine;

/// <summary>
/// Token ids that ask the model for the next assistant turn of a chat, the way `cluster generate --template` encodes a
/// single user turn (<see cref="Athanor.Inference.PromptEncoder"/>), extended to whole conversations.
/// </summary>
public static class ChatPrompt
{
    public static int[] Encode(IReadOnlyList<ChatMessage> messages, ITokenizer tokenizer, IChatTemplate template)
    {
        if (template is ModelChatTemplate model)
        {
            // transformers' apply_chat_template(messages, add_generation_prompt=True), tokenized without extra specials.
            var list = messages.Select(m => (object?)new Dictionary<string, object?>(StringComparer.Ordinal) { ["role"] = m.Role, ["content"] = m.Content }).ToList();
            var text = model.RenderVariables(new Dictionary<string, object?> { ["messages"] = list, ["add_generation_prompt"] = true });
            return [.. tokenizer.Encode(text, addSpecialTokens: false)];
        }
        // LLaMA-Factory: encode the turns with an empty assistant reply and keep everything before that reply's ids
        // (the last trained span); the user slot already ends with the assistant header.
        var system = messages.FirstOrDefault(m => m.Role == "system")?.Content;
        var turns = messages.Where(m => m.Role != "system").Append(new ChatMessage("assistant", "")).ToList();
        var sample = template.Encode(new Conversation(turns, system), tokenizer);
        int lastPrompt = Array.FindLastIndex(sample.Labels, l => l == TokenizedSample.IgnoreIndex);
        return sample.InputIds[..(lastPrompt + 1)];
    }
}
