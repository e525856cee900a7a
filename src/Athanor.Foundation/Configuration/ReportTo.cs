namespace Athanor.Configuration;

/// <summary>
/// <c>report_to</c>, Hugging Face's list of experiment trackers. Athanor acts on <c>tensorboard</c> (event files in
/// logging_dir); <c>all</c> means every tracker available, which here is TensorBoard; <c>none</c> means nothing.
/// The other trackers Hugging Face knows are accepted, so LLaMA-Factory configs load, and reported as ignored.
/// </summary>
internal static class ReportTo
{
    public const string TensorBoard = "tensorboard";
    public const string Expected = "tensorboard, none, all, or a list such as [tensorboard, wandb] (trackers other than tensorboard are ignored)";

    // Hugging Face transformers' integrations (INTEGRATION_TO_CALLBACK), so a typo is an error rather than silence.
    private static readonly HashSet<string> OtherTrackers = new(StringComparer.Ordinal)
    {
        "azure_ml", "clearml", "codecarbon", "comet_ml", "dagshub", "dvclive", "flyte", "mlflow", "neptune",
        "swanlab", "trackio", "wandb",
    };

    /// <summary>The trackers named, lower-case, as a comma list without <c>none</c>; null when none is named.</summary>
    public static string? Read(RawEntry e)
    {
        var list = ValueReader.NullableList(e, Expected);
        if (list is null)
            return null;
        var names = new List<string>();
        foreach (var item in list.Split(','))
        {
            var name = item.Trim().ToLowerInvariant();
            if (name is "" or "none")
                continue;
            if (name is not (TensorBoard or "all") && !OtherTrackers.Contains(name))
            {
                var close = KeySuggester.Closest(name, OtherTrackers.Append(TensorBoard).Append("none"));
                throw e.Error($"{InputText.Quote(item.Trim())} is not a tracker{(close is null ? "" : $" (did you mean {close}?)")}; expected {Expected}");
            }
            if (!names.Contains(name))
                names.Add(name);
        }
        return names.Count == 0 ? null : string.Join(",", names);
    }

    /// <summary>The tracker names in a <see cref="JobConfig.ReportTo"/> value.</summary>
    public static IReadOnlyList<string> Names(string? reportTo) =>
        reportTo is null ? [] : reportTo.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>True when the value asks for TensorBoard event files (tensorboard or all).</summary>
    public static bool IncludesTensorBoard(string? reportTo) => Names(reportTo).Any(n => n is TensorBoard or "all");

    /// <summary>The ignored-key note for the trackers Athanor does not act on, or null when there are none.</summary>
    public static IgnoredKey? Ignored(string? reportTo)
    {
        var others = Names(reportTo).Where(n => n is not (TensorBoard or "all")).ToList();
        if (others.Count == 0)
            return null;
        var what = string.Join(", ", others);
        return new IgnoredKey("report_to", IncludesTensorBoard(reportTo)
            ? $"TensorBoard event files are written; {what} is not: Athanor sends metrics to no external tracker"
            : $"Athanor sends metrics to no external tracker ({what}); it writes TensorBoard event files with report_to: tensorboard");
    }
}
