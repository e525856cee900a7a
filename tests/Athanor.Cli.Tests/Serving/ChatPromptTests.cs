using Athanor.Data;
using Athanor.Inference;
using Athanor.Serving.Engine;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Cli.Tests.Serving;

/// <summary>serve-model's prompt rendering and stop strings, without a server.</summary>
public class ChatPromptTests
{
    [Theory]
    [InlineData("model")]
    [InlineData("default")]
    [InlineData("qwen")]
    [InlineData("llama3")]
    public void OneUserTurnEncodesAsGenerateDoes(string name)
    {
        var tokenizer = new ByteTokenizer();
        var template = ChatTemplates.Get(name, tokenizer);
        Assert.Equal(PromptEncoder.Encode("Who are you?", tokenizer, template),
            ChatPrompt.Encode([new ChatMessage("user", "Who are you?")], tokenizer, template));
        Assert.Equal(PromptEncoder.Encode("Who are you?", tokenizer, template, system: "Be brief."),
            ChatPrompt.Encode([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Who are you?")], tokenizer, template));
    }

    [Theory]
    [InlineData("model")]
    [InlineData("qwen")]
    public void AConversationEndsWithTheAssistantsGenerationPrompt(string name)
    {
        var tokenizer = new ByteTokenizer();
        var template = ChatTemplates.Get(name, tokenizer);
        var turns = new[] { new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello!"), new ChatMessage("user", "Who are you?") };
        var text = tokenizer.Decode(ChatPrompt.Encode(turns, tokenizer, template));
        Assert.Contains("Hello!", text);
        Assert.EndsWith(tokenizer.Decode(PromptEncoder.Encode("Who are you?", tokenizer, template))[^12..], text);
    }

    [Fact]
    public void StopTextHoldsBackWhatCouldBecomeAStop()
    {
        var stops = new StopText(["END", "\n\n"]);
        Assert.Equal(-1, stops.FirstStop("the EN"));
        Assert.Equal(4, stops.SafeLength("the EN"));       // "EN" may become "END"
        Assert.Equal(4, stops.SafeLength("the \n"));
        Assert.Equal(6, stops.SafeLength("the EX"));
        Assert.Equal(3, stops.SafeLength("abc\uFFFD"));     // half a UTF-8 character
        Assert.Equal(4, stops.FirstStop("the END and\n\n"));
        Assert.Equal(3, stops.FirstStop("abc\n\nEND"));
    }
}
