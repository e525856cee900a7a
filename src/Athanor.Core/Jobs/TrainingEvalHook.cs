using Athanor.Configuration;
using Athanor.Evaluation;
using Athanor.Inference;
using Athanor.Models;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Jobs;

/// <summary>Turns eval_tasks and eval_prompts into the trainer's extra evaluation (null when neither is set).</summary>
public static class TrainingEvalHook
{
    public static Func<CausalLM, (IReadOnlyDictionary<string, double>, IReadOnlyList<string>)>? Create(JobConfig config, ITokenizer tokenizer)
    {
        var tasks = Tasks(config);
        var prompts = config.EvalPrompts is string file ? PromptFile.Read(file) : [];
        if (tasks.Count == 0 && prompts.Count == 0) return null;
        var template = prompts.Count > 0 ? ChatTemplates.Get(config.Template, tokenizer) : null;
        return model =>
        {
            var round = TrainingEvaluation.Run(model, tokenizer, tasks, prompts, new GenerationOptions { MaxNewTokens = 48 }, template);
            var lines = round.Samples.Select(s => $"sample: {Shorten(s.Prompt)} -> {Shorten(s.Text)}").ToList();
            lines.AddRange(round.Metrics.Select(m => $"{m.Key}: {m.Value:G6}"));
            return (round.Metrics, lines);
        };
    }

    public static IReadOnlyList<EvalTask> Tasks(JobConfig config)
    {
        if (config.EvalTasks is not string list) return [];
        return list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(item =>
        {
            int colon = item.IndexOf(':');
            if (colon <= 0) throw new JobException($"eval_tasks: '{item}' is not KIND:FILE; accepted kinds: perplexity, multiple-choice");
            EvalTaskKind kind;
            try { kind = EvalTask.ParseKind(item[..colon]); }
            catch (ArgumentException ex) { throw new JobException($"eval_tasks: {ex.Message}"); }
            var path = item[(colon + 1)..];
            if (!File.Exists(path)) throw new JobException($"eval_tasks: '{path}' does not exist");
            return new EvalTask(Path.GetFileNameWithoutExtension(path), kind, path);
        }).ToList();
    }

    private static string Shorten(string text)
    {
        var flat = text.Replace('\n', ' ');
        return flat.Length <= 80 ? flat : flat[..77] + "...";
    }
}
