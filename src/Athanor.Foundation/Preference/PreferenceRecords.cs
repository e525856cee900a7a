using Athanor.Data;

namespace Athanor.Preference;

/// <summary>The shared part of a preference record: the turns before the response, the system prompt and tools.</summary>
public sealed record PreferencePrompt(IReadOnlyList<ChatMessage> Turns, string? System, string? Tools)
{
    /// <summary>The prompt followed by <paramref name="response"/>, as the template renders a conversation.</summary>
    public Conversation With(ChatMessage response) => new([.. Turns, response], System, Tools);
}

/// <summary>A ranking record (stage dpo): one prompt, the preferred and the dispreferred response.</summary>
public sealed record PreferencePair(PreferencePrompt Prompt, ChatMessage Chosen, ChatMessage Rejected);

/// <summary>A KTO record (stage kto): one prompt and response, tagged desirable or undesirable.</summary>
public sealed record FeedbackExample(PreferencePrompt Prompt, ChatMessage Completion, bool Desirable);
