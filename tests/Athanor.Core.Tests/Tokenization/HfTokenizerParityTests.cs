using System.Text.Json;
using Athanor.Tokenization;

namespace Athanor.Tests.Tokenization;

/// <summary>Exact ids and decodes against transformers.js on the whole corpus, for Qwen3, Llama 3 and Llama 2 (Mistral's file).</summary>
public class HfTokenizerParityTests
{
    public static TheoryData<string> Models => new(ReferenceJs.Models);

    [Theory]
    [MemberData(nameof(Models))]
    public void Ids_without_special_tokens_match_the_reference_on_every_line(string model)
    {
        var tokenizer = ReferenceJs.Tokenizer(model);
        AssertAllLines(model, ReferenceJs.Reference(model), r => r.Ids, r => tokenizer.Encode(r.Text, addSpecialTokens: false));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Ids_with_special_tokens_match_the_reference_on_every_line(string model)
    {
        var tokenizer = ReferenceJs.Tokenizer(model);
        AssertAllLines(model, ReferenceJs.Reference(model), r => r.IdsSpecial, r => tokenizer.Encode(r.Text, addSpecialTokens: true));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Decode_matches_the_reference_with_and_without_skipping_special_tokens(string model)
    {
        var tokenizer = ReferenceJs.Tokenizer(model);
        var reference = ReferenceJs.Reference(model);
        for (int i = 0; i < reference.Length; i++)
        {
            var r = reference[i];
            AssertLine(model, i, "decode(ids)", r.Decoded, tokenizer.Decode(r.Ids));
            AssertLine(model, i, "decode(idsSpecial)", r.DecodedSpecial, tokenizer.Decode(r.IdsSpecial));
            AssertLine(model, i, "decode(idsSpecial, skip)", r.DecodedSkip, tokenizer.Decode(r.IdsSpecial, skipSpecialTokens: true));
        }
    }

    [Fact]
    public void Qwen3_round_trips_every_line_up_to_NFC()
    {
        var tokenizer = ReferenceJs.Tokenizer("qwen3");
        foreach (var r in ReferenceJs.Reference("qwen3"))
        {
            // The reference decode is NFC of the text; ours must give back exactly that from our own ids.
            Assert.Equal(r.Decoded, tokenizer.Decode(tokenizer.Encode(r.Text)));
        }
    }

    [Fact]
    public void Llama2_round_trips_lines_without_special_token_strings()
    {
        var tokenizer = ReferenceJs.Tokenizer("llama2");
        int checkedLines = 0;
        foreach (string text in ReferenceJs.CorpusTexts())
        {
            if (text.Contains("<s>") || text.Contains("</s>") || text.Contains("<unk>")) continue;
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
            checkedLines++;
        }
        Assert.True(checkedLines > 400, $"only {checkedLines} lines checked");
    }

    private static void AssertAllLines(string model, ReferenceLine[] reference, Func<ReferenceLine, int[]> expected, Func<ReferenceLine, IReadOnlyList<int>> actual)
    {
        Assert.True(reference.Length >= 300, $"corpus has only {reference.Length} lines");
        for (int i = 0; i < reference.Length; i++)
        {
            int[] want = expected(reference[i]);
            int[] got = actual(reference[i]).ToArray();
            if (!want.AsSpan().SequenceEqual(got))
                Assert.Fail($"{model}: corpus line {i + 1} {JsonSerializer.Serialize(reference[i].Text)} differs.\n"
                    + $"  expected [{string.Join(",", want)}]\n  actual   [{string.Join(",", got)}]");
        }
    }

    private static void AssertLine(string model, int index, string what, string want, string got)
    {
        if (want != got)
            Assert.Fail($"{model}: corpus line {index + 1} {what} differs.\n  expected {JsonSerializer.Serialize(want)}\n  actual   {JsonSerializer.Serialize(got)}");
    }
}
