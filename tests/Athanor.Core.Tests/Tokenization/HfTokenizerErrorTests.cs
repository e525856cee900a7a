using System.Text.Json.Nodes;
using Athanor.Tokenization;

namespace Athanor.Tests.Tokenization;

/// <summary>Folders and files Athanor cannot load fail with one message naming the file, key, value and what is accepted.</summary>
public class HfTokenizerErrorTests
{
    [Fact]
    public void Missing_folder_and_missing_tokenizer_json_are_named()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.FromFolder("/nonexistent/athanor-model"));
        Assert.Contains("/nonexistent/athanor-model", e.Message);

        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer.model"), "x");
        e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.FromFolder(dir.Path));
        Assert.Contains("has no tokenizer.json", e.Message);
        Assert.Contains("tokenizer.model", e.Message);
    }

    [Theory]
    [InlineData("model", """{"type": "Unigram", "vocab": []}""", "$.model.type is \"Unigram\"", "BPE")]
    [InlineData("normalizer", """{"type": "NFKC"}""", "$.normalizer.type is \"NFKC\"", TokenizerJsonLoader.SupportedNormalizers)]
    [InlineData("pre_tokenizer", """{"type": "Whitespace"}""", "$.pre_tokenizer.type is \"Whitespace\"", TokenizerJsonLoader.SupportedPreTokenizers)]
    [InlineData("decoder", """{"type": "WordPiece"}""", "$.decoder.type is \"WordPiece\"", TokenizerJsonLoader.SupportedDecoders)]
    [InlineData("post_processor", """{"type": "Foo"}""", "$.post_processor.type is \"Foo\"", TokenizerJsonLoader.SupportedPostProcessors)]
    [InlineData("pre_tokenizer", """{"type": "Split", "pattern": {"Regex": "\\s"}, "behavior": "Contiguous", "invert": false}""", "$.pre_tokenizer.behavior is \"Contiguous\"", "Isolated, Removed")]
    public void Unsupported_components_name_the_key_value_and_the_supported_ones(string key, string value, string expectedWhat, string expectedSupported)
    {
        using var dir = new TempDir();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(ReferenceJs.ModelFolder("llama2"), "tokenizer.json")))!;
        json[key] = JsonNode.Parse(value);
        string path = Path.Combine(dir.Path, "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.FromFolder(dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expectedWhat, e.Message);
        Assert.Contains(expectedSupported, e.Message);
    }

    [Fact]
    public void Config_token_missing_from_the_vocabulary_is_named()
    {
        using var dir = new TempDir();
        File.Copy(Path.Combine(ReferenceJs.ModelFolder("llama2"), "tokenizer.json"), Path.Combine(dir.Path, "tokenizer.json"));
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer_config.json"), """{"eos_token": "<|nope|>"}""");
        var e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.FromFolder(dir.Path));
        Assert.Contains("eos_token \"<|nope|>\"", e.Message);
        Assert.Contains("tokenizer_config.json", e.Message);
    }

    [Fact]
    public void Invalid_json_and_bad_config_types_are_named()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer.json"), "{ not json");
        var e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.FromFolder(dir.Path));
        Assert.Contains("not valid JSON", e.Message);

        File.Copy(Path.Combine(ReferenceJs.ModelFolder("llama2"), "tokenizer.json"), Path.Combine(dir.Path, "tokenizer.json"), overwrite: true);
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer_config.json"), """{"chat_template": 42}""");
        e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.FromFolder(dir.Path));
        Assert.Contains("$.chat_template is 42", e.Message);
    }

    [Fact]
    public void Decoding_an_id_outside_the_vocabulary_throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ReferenceJs.Tokenizer("llama2").Decode([5, 32000]));
        Assert.Contains("32000", e.Message);
    }
}
