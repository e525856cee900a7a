namespace Athanor.Evaluation;

/// <summary>One multiple-choice item in the MMLU / C-Eval / CMMLU layout: question, choices A-D, the answer letter, an optional subject.</summary>
public sealed record ChoiceQuestion(string Question, IReadOnlyList<string> Choices, int Answer, string? Subject, int Line)
{
    public static readonly IReadOnlyList<string> Letters = ["A", "B", "C", "D"];

    public const string Layout = "{\"question\": ..., \"A\": ..., \"B\": ..., \"C\": ..., \"D\": ..., \"answer\": \"A\"|\"B\"|\"C\"|\"D\"[, \"subject\": ...]}";

    /// <summary>Every item of a JSONL file, in file order; a malformed line is an error naming file:line.</summary>
    public static List<ChoiceQuestion> ReadAll(string path)
    {
        var items = new List<ChoiceQuestion>();
        foreach (var (line, record) in JsonlRecords.Read(path, Layout))
        {
            string Required(params string[] keys) => JsonlRecords.Text(record, path, line, keys)
                ?? throw new EvalInputException($"{path}:{line}: \"{keys[0]}\" is missing; each line is {Layout}");
            var question = Required("question", "Question");
            var choices = Letters.Select(l => Required(l)).ToArray();
            var answer = Required("answer", "Answer").Trim();
            int index = Letters.ToList().IndexOf(answer.ToUpperInvariant());
            if (index < 0) throw new EvalInputException($"{path}:{line}: answer '{answer}' is not a choice; accepted: A, B, C, D");
            items.Add(new ChoiceQuestion(question, choices, index, JsonlRecords.Text(record, path, line, "subject", "Subject"), line));
        }
        if (items.Count == 0) throw new EvalInputException($"{path}: no questions; expected JSONL with one {Layout} per line");
        return items;
    }
}
