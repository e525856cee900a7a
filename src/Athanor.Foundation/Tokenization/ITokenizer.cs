namespace Athanor.Tokenization;

/// <summary>
/// Text to token ids and back, as Hugging Face's tokenizers do for the same model folder.
/// Encode never adds BOS/EOS unless asked: templates decide where special tokens go.
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of ids the model's embedding must hold (base vocabulary plus added tokens).</summary>
    int VocabSize { get; }

    IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false);

    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false);

    /// <summary>The id of a token string (including added/special tokens), or null if it does not exist.</summary>
    int? TokenToId(string token);

    string? IdToToken(int id);

    string? BosToken { get; }
    string? EosToken { get; }
    string? PadToken { get; }
    int? BosTokenId { get; }
    int? EosTokenId { get; }
    int? PadTokenId { get; }

    /// <summary>The model folder's chat_template (tokenizer_config.json or chat_template.jinja), if any.</summary>
    string? ChatTemplate { get; }
}
