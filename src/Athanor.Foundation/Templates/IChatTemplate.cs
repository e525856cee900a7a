using Athanor.Data;
using Athanor.Tokenization;

namespace Athanor.Templates;

/// <summary>
/// Turns a conversation into token ids with a loss mask, the way LLaMA-Factory's templates (or the
/// model's own chat_template) do. Loss is taken on assistant turns only unless trainOnPrompt.
/// </summary>
public interface IChatTemplate
{
    string Name { get; }

    /// <summary>The rendered text, for previews and for `cluster data render`.</summary>
    string RenderText(Conversation conversation);

    TokenizedSample Encode(Conversation conversation, ITokenizer tokenizer, bool trainOnPrompt = false);
}
