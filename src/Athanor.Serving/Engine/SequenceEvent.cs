using Athanor.Inference;

namespace Athanor.Serving.Engine;

/// <summary>What one choice of a request reports as it decodes; Choice is its index in the response.</summary>
public abstract record SequenceEvent(int Choice);

/// <summary>New text (may be empty when only held-back text or a first token arrived).</summary>
public sealed record TextDelta(int Choice, string Text) : SequenceEvent(Choice);

/// <summary>The choice ended: its whole text, the tokens it sampled (stop token included) and why.</summary>
public sealed record ChoiceFinished(int Choice, string Text, int PromptTokens, int CompletionTokens, FinishReason Reason) : SequenceEvent(Choice);

/// <summary>Decoding failed; the message is safe to show the client.</summary>
public sealed record ChoiceFailed(int Choice, string Message) : SequenceEvent(Choice);
