namespace Athanor.Tokenization;

/// <summary>
/// A tokenizer folder or file that Athanor cannot load. The message names the file, the key and the bad value,
/// and what is accepted.
/// </summary>
public sealed class TokenizerFormatException : Exception
{
    public TokenizerFormatException(string message) : base(message) { }

    public TokenizerFormatException(string message, Exception inner) : base(message, inner) { }
}
