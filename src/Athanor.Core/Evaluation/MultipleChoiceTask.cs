using Athanor.Inference;
using Athanor.Models;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Evaluation;

public sealed record SubjectScore(int Correct, int Count)
{
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;
}

/// <summary>Accuracy overall and per subject with scored items ("" when the file names none), and how many items served as shots.</summary>
public sealed record MultipleChoiceResult(int Correct, int Count, int Shots, IReadOnlyDictionary<string, SubjectScore> PerSubject)
{
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;
}

/// <summary>
/// Multiple choice scored by log-likelihood: each choice letter is a continuation of the prompt and the most
/// likely one is the model's answer. The first K items of each subject (file order) are its few-shot examples
/// and are not scored.
/// </summary>
public static class MultipleChoiceTask
{
    public static MultipleChoiceResult Run(CausalLM model, ITokenizer tokenizer, string path, int shots = 0, IChatTemplate? template = null,
        Action<int, int>? progress = null)
    {
        if (shots < 0) throw new ArgumentException($"shots {shots}: accepted: 0 or more");
        var items = ChoiceQuestion.ReadAll(path);
        var bySubject = items.GroupBy(q => q.Subject ?? "").ToList();
        int total = items.Count - bySubject.Sum(g => Math.Min(shots, g.Count()));
        if (total <= 0)
            throw new EvalInputException($"{path}: all {items.Count} items are used as the {shots} shots of their subject, none is left to score; use fewer --shots");
        var scores = new Dictionary<string, SubjectScore>(StringComparer.Ordinal);
        int done = 0, correct = 0;
        foreach (var group in bySubject)
        {
            var list = group.ToList();
            var examples = list.Take(shots).ToList();
            int subjectCorrect = 0, subjectCount = 0;
            foreach (var question in list.Skip(shots))
            {
                var (context, continuations) = Encode(question, examples, tokenizer, template);
                int needed = context.Count + continuations.Max(c => c.Count);
                if (needed > model.Config.MaxPositionEmbeddings)
                    throw new EvalInputException($"{path}:{question.Line}: the prompt is {needed} tokens with {examples.Count} shots but the model's " +
                        $"max_position_embeddings is {model.Config.MaxPositionEmbeddings}; use fewer --shots or a shorter question");
                var logLikelihoods = LogLikelihood.Choices(model, context, continuations);
                int predicted = Array.IndexOf(logLikelihoods, logLikelihoods.Max());
                if (predicted == question.Answer) subjectCorrect++;
                subjectCount++;
                done++;
                progress?.Invoke(done, total);
            }
            if (subjectCount > 0) scores[group.Key] = new SubjectScore(subjectCorrect, subjectCount);
            correct += subjectCorrect;
        }
        return new MultipleChoiceResult(correct, done, items.Count - done, scores);
    }

    /// <summary>
    /// Context ids and one continuation per choice, split as lm-evaluation-harness does: encode context + " X" whole
    /// and take what follows the context's own ids. With a template the prompt is a user turn plus the generation prompt.
    /// </summary>
    public static (IReadOnlyList<int> Context, IReadOnlyList<IReadOnlyList<int>> Continuations) Encode(
        ChoiceQuestion question, IReadOnlyList<ChoiceQuestion> shots, ITokenizer tokenizer, IChatTemplate? template = null)
    {
        var prompt = MultipleChoicePrompt.Build(question, shots);
        if (template is not null)
        {
            var context = PromptEncoder.Encode(prompt, tokenizer, template);
            return (context, question.Choices.Select((_, i) => (IReadOnlyList<int>)[.. tokenizer.Encode(MultipleChoicePrompt.TargetDelimiter + ChoiceQuestion.Letters[i])]).ToList());
        }
        var contextIds = PromptEncoder.Encode(prompt, tokenizer);
        var continuations = new List<IReadOnlyList<int>>();
        for (int i = 0; i < question.Choices.Count; i++)
        {
            var whole = PromptEncoder.Encode(prompt + MultipleChoicePrompt.TargetDelimiter + ChoiceQuestion.Letters[i], tokenizer);
            var continuation = whole.Skip(contextIds.Length).ToArray();
            if (continuation.Length == 0) throw new InvalidOperationException($"choice {ChoiceQuestion.Letters[i]} adds no token to the prompt");
            continuations.Add(continuation);
        }
        return (contextIds, continuations);
    }
}
