namespace Athanor.Configuration;

/// <summary>
/// LLaMA-Factory keys that Athanor accepts so its configs load unchanged, but does not act on.
/// The one table of them, each with the reason (docs/configuration.md repeats it).
/// </summary>
internal static class IgnoredKeys
{
    private static readonly Dictionary<string, string> Reasons = new(StringComparer.Ordinal)
    {
        ["trust_remote_code"] = "Athanor runs no Python model code; models are built from config.json",
        ["overwrite_cache"] = "Athanor keeps no cache of preprocessed datasets; data is tokenized for each run",
        ["dataloader_num_workers"] = "batches are built in-process; tokenization uses preprocessing_num_workers",
        ["ddp_timeout"] = "Athanor's collectives have their own timeouts",
        ["report_to"] = "Athanor writes metrics to the output folder itself; external trackers are not supported",
    };

    /// <summary>Every ignored key, for suggestions and docs.</summary>
    public static IEnumerable<string> Names => Reasons.Keys;

    /// <summary>
    /// The ignored-key record for <paramref name="entry"/>, or null when the key is not ignored.
    /// report_to: none asks for nothing, so it is accepted silently.
    /// </summary>
    public static IgnoredKey? Match(RawEntry entry)
    {
        if (!Reasons.TryGetValue(entry.Key, out var reason))
            return null;
        return IsReportToNone(entry) ? null : new IgnoredKey(entry.Key, reason);
    }

    /// <summary>True for keys in the table, whatever their value.</summary>
    public static bool Contains(string key) => Reasons.ContainsKey(key);

    private static bool IsReportToNone(RawEntry e) =>
        e.Key == "report_to"
        && (e.IsNull
            || (e.Kind == RawKind.Scalar && e.Text.Trim() == "none")
            || (e.Kind == RawKind.Sequence && e.Items.All(i => i.Trim() == "none")));
}
