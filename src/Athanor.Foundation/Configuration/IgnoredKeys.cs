namespace Athanor.Configuration;

/// <summary>
/// LLaMA-Factory keys that Athanor accepts so its configs load unchanged, but does not act on.
/// The one table of them, each with the reason (docs/configuration.md repeats it). report_to is typed
/// (<see cref="ReportTo"/>): only the trackers in it other than tensorboard are reported as ignored.
/// </summary>
internal static class IgnoredKeys
{
    private static readonly Dictionary<string, string> Reasons = new(StringComparer.Ordinal)
    {
        ["trust_remote_code"] = "Athanor runs no code from model folders; it builds Llama-family models from config.json itself",
        ["overwrite_cache"] = "the tokenized-dataset cache is keyed by a hash of every input (data bytes, tokenizer, template, settings), so a stale entry is never read",
        ["dataloader_num_workers"] = "Athanor has no PyTorch DataLoader worker processes",
        ["ddp_timeout"] = "a torch.distributed setting; Athanor does not use torch.distributed",
    };

    /// <summary>Every ignored key, for suggestions and docs.</summary>
    public static IEnumerable<string> Names => Reasons.Keys;

    /// <summary>The ignored-key record for <paramref name="entry"/>, or null when the key is not ignored.</summary>
    public static IgnoredKey? Match(RawEntry entry) =>
        Reasons.TryGetValue(entry.Key, out var reason) ? new IgnoredKey(entry.Key, reason) : null;

    /// <summary>True for keys in the table, whatever their value.</summary>
    public static bool Contains(string key) => Reasons.ContainsKey(key);
}
