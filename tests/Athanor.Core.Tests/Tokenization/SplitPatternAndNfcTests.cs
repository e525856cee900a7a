using System.Text.RegularExpressions;
using Athanor.Tokenization;
using Athanor.Tokenization.Unicode;

namespace Athanor.Tests.Tokenization;

/// <summary>The hand-written split patterns and the managed NFC, against independent oracles.</summary>
public class SplitPatternAndNfcTests
{
    public static TheoryData<string> Patterns => new(KnownSplitPattern.Gpt2, KnownSplitPattern.Qwen2, KnownSplitPattern.Llama3);

    [Theory]
    [MemberData(nameof(Patterns))]
    public void Known_pattern_matches_dotnet_regex_on_BMP_text(string pattern)
    {
        // .NET's Regex is a faithful oracle where no surrogate pairs occur.
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);
        var known = KnownSplitPattern.TryCreate(pattern)!;
        var texts = ReferenceJs.CorpusTexts().Where(t => !t.Any(char.IsSurrogate))
            .Concat(["'S 'LL 'Re x'd", "a  \n\n  b\r\n\t c   ", "¡Hola! ¿Qué?", "  \u00a0\u3000x", "x\u0301\u0301y", "'", "'\n", "12 345 6789"])
            .ToArray();
        Assert.True(texts.Length > 300);
        var matches = new List<(int, int)>();
        foreach (string text in texts)
        {
            matches.Clear();
            known.FindMatches(text, matches);
            var expected = regex.Matches(text).Select(m => (m.Index, m.Index + m.Length)).ToList();
            Assert.True(expected.SequenceEqual(matches), $"pattern differs on {System.Text.Json.JsonSerializer.Serialize(text)}");
        }
    }

    [Fact]
    public void Known_pattern_treats_letters_outside_the_BMP_as_letters()
    {
        var known = KnownSplitPattern.TryCreate(KnownSplitPattern.Qwen2)!;
        var matches = new List<(int Start, int End)>();
        string text = " 𠀀𠀁好 𝟏"; // CJK Extension B letters, then a mathematical digit (\p{N})
        known.FindMatches(text, matches);
        Assert.Equal([(0, 6), (6, 7), (7, 9)], matches);
    }

    [Theory]
    [InlineData("e\u0301", "\u00e9")]
    [InlineData("A\u030a", "\u00c5")]
    [InlineData("\u212b", "\u00c5")]                   // singleton decomposition
    [InlineData("\u1100\u1161\u11a8", "\uac01")]        // conjoining jamo compose to a syllable
    [InlineData("a\u0307\u0323", "\u1ea1\u0307")]       // marks reordered by class, then composed
    [InlineData("\u0958", "\u0915\u093c")]              // composition exclusion stays decomposed
    [InlineData("\U0001D15E", "\U0001D157\U0001D165")]  // excluded musical symbol outside the BMP
    public void Nfc_composes_reorders_and_respects_exclusions(string input, string expected)
    {
        Assert.Equal(expected, Nfc.ToNfcOrNull(input) ?? input);
    }

    [Fact]
    public void Nfc_leaves_normalized_text_alone_without_allocating_a_copy()
    {
        Assert.Null(Nfc.ToNfcOrNull("Hello, 世界! déjà vu 👍🏽"));
        Assert.Equal("e\u0301", Nfc.ToNfdOrNull("\u00e9"));
        Assert.Equal("\u1100\u1161\u11a8", Nfc.ToNfdOrNull("\uac01"));
    }
}
