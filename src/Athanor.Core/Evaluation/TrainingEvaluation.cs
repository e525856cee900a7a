using Athanor.Inference;
using Athanor.Models;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Evaluation;

/// <summary>What one evaluation round measured: flat metrics (for metrics.jsonl) and the sample completions.</summary>
public sealed record EvaluationRound(IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<TextCompletion> Samples);

/// <summary>
/// Evaluation that a training loop can run every eval_steps on the model it is training: the given tasks and
/// a few greedy sample generations. The model is switched to eval mode and back, gradients are off, and
/// nothing is written: the caller logs the metrics. Metric keys: "eval_NAME_accuracy" (multiple choice),
/// "eval_NAME_ppl" and "eval_NAME_nll" (perplexity), "eval_samples_tokens_per_s".
/// </summary>
public static class TrainingEvaluation
{
    public static EvaluationRound Run(CausalLM model, ITokenizer tokenizer, IReadOnlyList<EvalTask> tasks,
        IReadOnlyList<string>? samplePrompts = null, GenerationOptions? sampleOptions = null, IChatTemplate? sampleTemplate = null)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var task in tasks)
            {
                var template = task.Template is string name ? ChatTemplates.Get(name, tokenizer) : null;
                switch (task.Kind)
                {
                    case EvalTaskKind.MultipleChoice:
                        var choice = MultipleChoiceTask.Run(model, tokenizer, task.InputPath, task.Shots, template);
                        metrics[$"eval_{task.Name}_accuracy"] = choice.Accuracy;
                        break;
                    case EvalTaskKind.Perplexity:
                        var ppl = PerplexityTask.Run(model, tokenizer, task.InputPath, task.ContextLength);
                        metrics[$"eval_{task.Name}_ppl"] = ppl.Perplexity;
                        metrics[$"eval_{task.Name}_nll"] = ppl.MeanNll;
                        break;
                }
            }
            var samples = new List<TextCompletion>();
            if (samplePrompts is { Count: > 0 })
            {
                var options = sampleOptions ?? new GenerationOptions { MaxNewTokens = 64 };
                var ids = samplePrompts.Select(p => (IReadOnlyList<int>)PromptEncoder.Encode(p, tokenizer, sampleTemplate)).ToList();
                var stops = new HashSet<int>(options.StopTokenIds);
                stops.UnionWith(StopTokens.Collect(model.Config, new GenerationConfigFile(null, [], null), tokenizer, sampleTemplate));
                int pad = tokenizer.PadTokenId ?? tokenizer.EosTokenId ?? 0;
                var (completions, stats) = Decoding.Generate(model, ids, options with { StopTokenIds = stops }, pad);
                samples.AddRange(completions.Select((c, i) => new TextCompletion(samplePrompts[i],
                    tokenizer.Decode(c.TokenIds, skipSpecialTokens: true), c.TokenIds.Length, c.FinishReason)));
                metrics["eval_samples_tokens_per_s"] = stats.TokensPerSecond;
            }
            return new EvaluationRound(metrics, samples);
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }
}
