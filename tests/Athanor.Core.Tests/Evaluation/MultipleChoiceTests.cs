using Athanor.Evaluation;
using Athanor.Models;
using Athanor.Tests.Models;
using Athanor.Tokenization;

namespace Athanor.Tests.Evaluation;

[Collection(nameof(Athanor.Tests.Inference.TorchRngCollection))]
public class MultipleChoiceTests
{
    private static string Line(string q, string answer, string? subject = null) =>
        $"{{\"question\": \"{q}\", \"A\": \"one\", \"B\": \"two\", \"C\": \"three\", \"D\": \"four\", \"answer\": \"{answer}\"" +
        (subject is null ? "" : $", \"subject\": \"{subject}\"") + "}";

    [Fact]
    public void PromptIsTheStandardMmluLayout()
    {
        var shot = new ChoiceQuestion("1+1?", ["1", "2", "3", "4"], 1, "high_school_math", 1);
        var question = new ChoiceQuestion(" 2+2? ", ["2", "3", "4", "5"], 2, "high_school_math", 2);
        Assert.Equal(
            "The following are multiple choice questions (with answers) about high school math.\n\n" +
            "1+1?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer: B\n\n" +
            "2+2?\nA. 2\nB. 3\nC. 4\nD. 5\nAnswer:",
            MultipleChoicePrompt.Build(question, [shot]));
    }

    [Fact]
    public void ChoicesAreTheLetterTokensAfterTheContext()
    {
        var q = new ChoiceQuestion("Q", ["a", "b", "c", "d"], 0, null, 1);
        var tokenizer = new ByteTokenizer();
        var (context, continuations) = MultipleChoiceTask.Encode(q, [], tokenizer);
        Assert.Equal([ByteTokenizer.BosId, .. "Q\nA. a\nB. b\nC. c\nD. d\nAnswer:"u8.ToArray().Select(b => (int)b)], context);
        Assert.Equal([[' ', 'A'], [' ', 'B'], [' ', 'C'], [' ', 'D']], continuations.Select(c => c.ToArray()).ToArray());
    }

    [Fact]
    public void ShotsAreTheFirstItemsOfEachSubjectAndAreNotScored()
    {
        using var temp = new TestPaths.TempFolder();
        var path = temp.Sub("mc.jsonl");
        File.WriteAllLines(path, [Line("a1", "A", "alpha"), Line("b1", "B", "beta"), Line("a2", "C", "alpha"), Line("a3", "D", "alpha"),
            "", Line("b2", "A", "beta")]);
        using var model = Golden.LoadModel("llama");
        var tokenizer = new ByteTokenizer();
        var result = MultipleChoiceTask.Run(model, tokenizer, path, shots: 1);
        Assert.Equal(3, result.Count);
        Assert.Equal(2, result.Shots);
        Assert.Equal(2, result.PerSubject["alpha"].Count);
        Assert.Equal(1, result.PerSubject["beta"].Count);

        // Each item's verdict is the argmax of its choices' log-likelihoods with its subject's first item as the shot.
        var items = ChoiceQuestion.ReadAll(path);
        int correct = 0;
        foreach (var (q, shot) in new[] { (items[2], items[0]), (items[3], items[0]), (items[4], items[1]) })
        {
            var (context, continuations) = MultipleChoiceTask.Encode(q, [shot], tokenizer);
            var scores = LogLikelihood.Choices(model, context, continuations);
            if (Array.IndexOf(scores, scores.Max()) == q.Answer) correct++;
        }
        Assert.Equal(correct, result.Correct);
        Assert.Equal((double)correct / 3, result.Accuracy);
    }

    [Theory]
    [InlineData("{\"question\": \"q\", \"A\": \"1\", \"B\": \"2\", \"C\": \"3\", \"answer\": \"A\"}", "\"D\" is missing")]
    [InlineData("{\"question\": \"q\", \"A\": \"1\", \"B\": \"2\", \"C\": \"3\", \"D\": \"4\", \"answer\": \"E\"}", "answer 'E' is not a choice; accepted: A, B, C, D")]
    [InlineData("{\"question\": \"q\", ", "not valid JSON")]
    [InlineData("[1, 2]", "expected a JSON object")]
    public void MalformedLineNamesFileAndLine(string bad, string expected)
    {
        using var temp = new TestPaths.TempFolder();
        var path = temp.Sub("mc.jsonl");
        File.WriteAllLines(path, [Line("ok", "A"), bad]);
        var ex = Assert.Throws<EvalInputException>(() => ChoiceQuestion.ReadAll(path));
        Assert.Contains($"{path}:2: ", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void PromptLongerThanTheModelIsAClearError()
    {
        using var temp = new TestPaths.TempFolder();
        var path = temp.Sub("mc.jsonl");
        File.WriteAllLines(path, [Line("first", "A"), Line("second", "B")]);
        var folder = TestPaths.Model("llama");
        using var model = new CausalLM(ModelConfig.Load(folder) with { MaxPositionEmbeddings = 48 });
        ModelWeights.Load(model, folder);
        var ex = Assert.Throws<EvalInputException>(() => MultipleChoiceTask.Run(model, new ByteTokenizer(), path, shots: 1));
        Assert.Contains($"{path}:2: the prompt is", ex.Message);
        Assert.Contains("max_position_embeddings is 48; use fewer --shots", ex.Message);
    }
}
