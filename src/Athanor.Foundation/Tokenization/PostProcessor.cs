namespace Athanor.Tokenization;

/// <summary>What the post_processor adds around a single sequence when special tokens are asked for.</summary>
internal sealed record SpecialTokensTemplate(int[] Prefix, int[] Suffix)
{
    public static readonly SpecialTokensTemplate None = new([], []);

    public SpecialTokensTemplate Then(SpecialTokensTemplate inner) => new([.. Prefix, .. inner.Prefix], [.. inner.Suffix, .. Suffix]);
}
