namespace Athanor.Data;

/// <summary>One turn of a conversation. Role is one of system, user, assistant, tool (function calls are "function_call" in sharegpt data and map to assistant turns with tool-call content).</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>A training example before rendering: the turns, an optional system prompt and optional tool schema text.</summary>
public sealed record Conversation(IReadOnlyList<ChatMessage> Messages, string? System = null, string? Tools = null);

/// <summary>A rendered, tokenized training example. Labels hold -100 where no loss is taken.</summary>
public sealed record TokenizedSample(int[] InputIds, int[] Labels)
{
    public const int IgnoreIndex = -100;
    public int Length => InputIds.Length;
    public int TargetCount => Labels.Count(l => l != IgnoreIndex);
}
