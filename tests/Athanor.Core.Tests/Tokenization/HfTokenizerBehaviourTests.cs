using System.Text.Json.Nodes;
using Athanor.Tokenization;

namespace Athanor.Tests.Tokenization;

/// <summary>Behaviour of HfTokenizer on the real model files: special tokens, config, digits, post-processors.</summary>
public class HfTokenizerBehaviourTests
{
    [Fact]
    public void Special_token_strings_in_plain_text_become_single_ids()
    {
        var qwen = ReferenceJs.Tokenizer("qwen3");
        int imStart = qwen.TokenToId("<|im_start|>")!.Value;
        int imEnd = qwen.TokenToId("<|im_end|>")!.Value;
        var ids = qwen.Encode("<|im_start|>user\nHi<|im_end|>");
        Assert.Equal(imStart, ids[0]);
        Assert.Equal(imEnd, ids[^1]);
        Assert.Equal(1, ids.Count(i => i == imStart));
        Assert.Equal("user\nHi", qwen.Decode(ids, skipSpecialTokens: true));
        // A non-special added token (<think>) is kept by skipSpecialTokens.
        Assert.Equal("<think>x", qwen.Decode(qwen.Encode("<think>x"), skipSpecialTokens: true));
    }

    [Fact]
    public void Config_gives_bos_eos_pad_and_chat_template()
    {
        var qwen = ReferenceJs.Tokenizer("qwen3");
        Assert.Null(qwen.BosToken);
        Assert.Null(qwen.BosTokenId);
        Assert.Equal("<|im_end|>", qwen.EosToken);
        Assert.Equal(151645, qwen.EosTokenId);
        Assert.Equal("<|endoftext|>", qwen.PadToken);
        Assert.Equal(151643, qwen.PadTokenId);
        Assert.Contains("<|im_start|>", qwen.ChatTemplate);
        Assert.Equal(151669, qwen.VocabSize);

        var llama2 = ReferenceJs.Tokenizer("llama2");
        Assert.Equal(("<s>", 1, "</s>", 2), (llama2.BosToken, llama2.BosTokenId!.Value, llama2.EosToken, llama2.EosTokenId!.Value));
        Assert.Null(llama2.PadTokenId);
        Assert.Null(llama2.ChatTemplate);
        Assert.Equal(32000, llama2.VocabSize);

        var llama3 = ReferenceJs.Tokenizer("llama3");
        Assert.Equal(128000, llama3.BosTokenId);
        Assert.Equal(128256, llama3.VocabSize);
    }

    [Fact]
    public void Add_special_tokens_follows_each_post_processor()
    {
        Assert.Equal([1, 22557], ReferenceJs.Tokenizer("llama2").Encode("Hello", addSpecialTokens: true));
        // Qwen's post_processor is ByteLevel only; this Llama 3 file's too (the first Meta release): nothing added.
        var qwen = ReferenceJs.Tokenizer("qwen3");
        Assert.Equal(qwen.Encode("Hello"), qwen.Encode("Hello", addSpecialTokens: true));
    }

    [Fact]
    public void Llama3_with_a_TemplateProcessing_post_processor_adds_begin_of_text()
    {
        using var dir = new TempDir();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(ReferenceJs.ModelFolder("llama3"), "tokenizer.json")))!;
        json["post_processor"] = JsonNode.Parse("""
            {"type": "Sequence", "processors": [
              {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
              {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
               "pair": [], "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [128000], "tokens": ["<|begin_of_text|>"]}}}]}
            """);
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer.json"), json.ToJsonString());
        var tokenizer = HfTokenizer.FromFolder(dir.Path);
        var plain = ReferenceJs.Tokenizer("llama3").Encode("Hello world");
        Assert.Equal([128000, .. plain], tokenizer.Encode("Hello world", addSpecialTokens: true));
        Assert.Equal(plain, tokenizer.Encode("Hello world"));
    }

    [Fact]
    public void Llama3_splits_digits_in_groups_of_three_and_Qwen_one_by_one()
    {
        var llama3 = ReferenceJs.Tokenizer("llama3");
        Assert.Equal(["123", "456", "7"], llama3.Encode("1234567").Select(i => llama3.IdToToken(i)));
        var qwen = ReferenceJs.Tokenizer("qwen3");
        Assert.Equal(["1", "2", "3", "4"], qwen.Encode("1234").Select(i => qwen.IdToToken(i)));
    }

    [Fact]
    public void Llama2_falls_back_to_byte_tokens_for_characters_outside_the_vocabulary()
    {
        var llama2 = ReferenceJs.Tokenizer("llama2");
        var tokens = llama2.Encode("🦙").Select(i => llama2.IdToToken(i)!).ToArray();
        Assert.Equal(["▁", "<0xF0>", "<0x9F>", "<0xA6>", "<0x99>"], tokens);
        Assert.Equal("🦙", llama2.Decode(llama2.Encode("🦙")));
        // A lone continuation byte is invalid UTF-8: HF's ByteFallback gives one U+FFFD per byte.
        Assert.Equal("\uFFFD", llama2.Decode([llama2.TokenToId("<0x9F>")!.Value]));
    }

    [Fact]
    public void Llama_tokenizer_class_honours_add_eos_token_as_transformers_does()
    {
        using var dir = new TempDir();
        string source = ReferenceJs.ModelFolder("llama2");
        File.Copy(Path.Combine(source, "tokenizer.json"), Path.Combine(dir.Path, "tokenizer.json"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "tokenizer_config.json")))!;
        config["add_eos_token"] = true;
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer_config.json"), config.ToJsonString());
        Assert.Equal([1, 22557, 2], HfTokenizer.FromFolder(dir.Path).Encode("Hello", addSpecialTokens: true));
    }

    [Fact]
    public void Chat_template_list_takes_default_and_jinja_file_wins()
    {
        using var dir = new TempDir();
        string source = ReferenceJs.ModelFolder("llama2");
        File.Copy(Path.Combine(source, "tokenizer.json"), Path.Combine(dir.Path, "tokenizer.json"));
        File.WriteAllText(Path.Combine(dir.Path, "tokenizer_config.json"), """
            {"bos_token": {"content": "<s>", "__type": "AddedToken"}, "eos_token": "</s>",
             "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}
            """);
        var tokenizer = HfTokenizer.FromFolder(dir.Path);
        Assert.Equal("D", tokenizer.ChatTemplate);
        Assert.Equal(1, tokenizer.BosTokenId);

        File.WriteAllText(Path.Combine(dir.Path, "chat_template.jinja"), "J");
        Assert.Equal("J", HfTokenizer.FromFolder(dir.Path).ChatTemplate);
    }

    [Fact]
    public void Encode_is_safe_from_several_threads()
    {
        var qwen = ReferenceJs.Tokenizer("qwen3");
        var reference = ReferenceJs.Reference("qwen3");
        System.Threading.Tasks.Parallel.For(0, reference.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            i => Assert.Equal(reference[i].Ids, qwen.Encode(reference[i].Text)));
    }
}

/// <summary>A temporary folder removed on Dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("athanor-tok-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
