using System.Text;

namespace Athanor.Evaluation;

/// <summary>
/// The standard MMLU prompt (lm-evaluation-harness's default): an optional "The following are multiple choice
/// questions (with answers) about SUBJECT." line, then each shot as "question\nA. ..\nB. ..\nC. ..\nD. ..\nAnswer: X"
/// separated by a blank line, then the question ending in "Answer:". Choices are scored as " A", " B", ...
/// </summary>
public static class MultipleChoicePrompt
{
    public const string TargetDelimiter = " ";

    public static string Build(ChoiceQuestion question, IReadOnlyList<ChoiceQuestion> shots)
    {
        var sb = new StringBuilder();
        if (!string.IsNullOrWhiteSpace(question.Subject))
            sb.Append("The following are multiple choice questions (with answers) about ").Append(question.Subject.Replace('_', ' ')).Append(".\n\n");
        foreach (var shot in shots)
        {
            AppendQuestion(sb, shot);
            sb.Append(TargetDelimiter).Append(ChoiceQuestion.Letters[shot.Answer]).Append("\n\n");
        }
        AppendQuestion(sb, question);
        return sb.ToString();
    }

    private static void AppendQuestion(StringBuilder sb, ChoiceQuestion q)
    {
        sb.Append(q.Question.Trim());
        for (int i = 0; i < q.Choices.Count; i++) sb.Append('\n').Append(ChoiceQuestion.Letters[i]).Append(". ").Append(q.Choices[i]);
        sb.Append("\nAnswer:");
    }
}
