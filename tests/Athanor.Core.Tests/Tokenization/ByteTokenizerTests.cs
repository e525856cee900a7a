using Athanor.Tokenization;

namespace Athanor.Tests.Tokenization;

public class ByteTokenizerTests
{
    private readonly ByteTokenizer tokenizer = new();

    [Fact]
    public void Ids_are_utf8_bytes_then_special_tokens()
    {
        Assert.Equal(262, tokenizer.VocabSize);
        Assert.Equal([104, 105], tokenizer.Encode("hi"));
        Assert.Equal([0xE4, 0xBD, 0xA0], tokenizer.Encode("你"));
        Assert.Equal([256, 104, 105, 257], tokenizer.Encode("hi", addSpecialTokens: true));
        Assert.Equal([259, 104, 260, 261, 258], tokenizer.Encode("<|user|>h<|assistant|><|system|><|pad|>"));
        Assert.Equal((256, 257, 258), (tokenizer.BosTokenId!.Value, tokenizer.EosTokenId!.Value, tokenizer.PadTokenId!.Value));
        Assert.Equal(("<|bos|>", "<|eos|>", "<|pad|>"), (tokenizer.BosToken, tokenizer.EosToken, tokenizer.PadToken));
    }

    [Theory]
    [InlineData("plain ascii")]
    [InlineData("中文，日本語、한국어 👨‍👩‍👧‍👦 🇺🇸")]
    [InlineData("<|user|>Hi<|eos|><|assistant|>Hello<|eos|>")]
    [InlineData("<|not special|> <| <|bos")]
    [InlineData("")]
    public void Decode_is_lossless(string text)
    {
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void Skip_special_tokens_and_token_lookup()
    {
        Assert.Equal("Hi", tokenizer.Decode(tokenizer.Encode("<|user|>Hi<|eos|>"), skipSpecialTokens: true));
        Assert.Equal(260, tokenizer.TokenToId("<|assistant|>"));
        Assert.Equal(65, tokenizer.TokenToId("A"));
        Assert.Null(tokenizer.TokenToId("AB"));
        for (int id = 0; id < 262; id++) Assert.Equal(id, tokenizer.TokenToId(tokenizer.IdToToken(id)!));
        Assert.Null(tokenizer.IdToToken(262));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([262]));
    }
}
