using Athanor.Evaluation;

namespace Athanor.Inference;

/// <summary>The prompts of a JSONL file, one {"prompt": ...} per line; a malformed line names file:line.</summary>
public static class PromptFile
{
    public const string Layout = "{\"prompt\": ...}";

    public static List<string> Read(string path)
    {
        var prompts = new List<string>();
        foreach (var (line, record) in JsonlRecords.Read(path, Layout))
            prompts.Add(JsonlRecords.Text(record, path, line, "prompt")
                ?? throw new EvalInputException($"{path}:{line}: \"prompt\" is missing; each line is {Layout}"));
        if (prompts.Count == 0) throw new EvalInputException($"{path}: no prompts; expected JSONL with one {Layout} per line");
        return prompts;
    }
}
