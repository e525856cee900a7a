using Athanor.Configuration;
using Athanor.Data;

namespace Athanor.Preference;

/// <summary>The sequences of one preference row with what each is, for `cluster data preview`.</summary>
public static class PreferencePreview
{
    public static IReadOnlyList<(string Title, TokenizedSample Sequence)> Parts(TokenizedSample row, TrainingStage stage)
    {
        var (first, second, undesirable) = PreferenceRow.Split(row);
        return stage == TrainingStage.Kto
            ? [($"completion ({(undesirable ? "undesirable" : "desirable")})", first), ("KL completion (another record's, reference point only)", second)]
            : [("chosen", first), ("rejected", second)];
    }
}
