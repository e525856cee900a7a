namespace Athanor.Configuration;

/// <summary>A key Athanor accepts for LLaMA-Factory compatibility but does not act on.</summary>
/// <param name="Name">The YAML key.</param>
/// <param name="Reason">Why Athanor does not need it.</param>
public sealed record IgnoredKey(string Name, string Reason);

/// <summary>What <see cref="JobConfigLoader"/> returns: the validated job and what it set aside.</summary>
/// <param name="Config">The validated job configuration (paths resolved).</param>
/// <param name="IgnoredKeys">Keys present in the input that Athanor ignores, each once, in input order.</param>
/// <param name="RawPaths">For each path key whose value was resolved, the text as written (key = YAML name).</param>
public sealed record LoadedConfig(
    JobConfig Config,
    IReadOnlyList<IgnoredKey> IgnoredKeys,
    IReadOnlyDictionary<string, string> RawPaths);
