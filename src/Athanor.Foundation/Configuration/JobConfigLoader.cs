namespace Athanor.Configuration;

/// <summary>
/// Reads a LLaMA-Factory training YAML plus --set overrides into a validated <see cref="JobConfig"/>.
/// Every problem is a <see cref="ConfigException"/> with a one-line message naming the source.
/// </summary>
public static class JobConfigLoader
{
    /// <summary>
    /// Loads <paramref name="yamlPath"/>. Relative paths inside it resolve against the current
    /// working folder, as in LLaMA-Factory.
    /// </summary>
    /// <param name="yamlPath">The YAML file.</param>
    /// <param name="overrides">"key=value" strings applied over the file (from --set).</param>
    public static LoadedConfig Load(string yamlPath, IEnumerable<string> overrides)
    {
        string text;
        try
        {
            text = File.ReadAllText(yamlPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigException(yamlPath, null, null, "the file does not exist");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(yamlPath, null, null, "the file cannot be read: " + ex.Message);
        }
        return Parse(text, yamlPath, overrides, baseDirectory: null);
    }

    /// <summary>Parses YAML text.</summary>
    /// <param name="yamlText">The YAML.</param>
    /// <param name="sourceName">What error messages call the text (usually its file path).</param>
    /// <param name="overrides">"key=value" strings applied over the text (from --set).</param>
    /// <param name="baseDirectory">The folder relative paths resolve against; null = the current working folder.</param>
    public static LoadedConfig Parse(string yamlText, string sourceName, IEnumerable<string> overrides, string? baseDirectory) =>
        Parse(yamlText, sourceName, overrides, new WorkingFolderPaths(Path.GetFullPath(baseDirectory ?? Directory.GetCurrentDirectory())), CancellationToken.None);

    /// <summary>
    /// Parses YAML text with every path key resolved by <paramref name="paths"/> before any file is looked at
    /// (a node passes its roots). Parsing and validation stop with OperationCanceledException once
    /// <paramref name="cancel"/> fires (a caller's deadline).
    /// </summary>
    public static LoadedConfig Parse(string yamlText, string sourceName, IEnumerable<string> overrides, IJobPathResolver paths, CancellationToken cancel)
    {
        var entries = Merge(YamlEntryReader.Read(yamlText, sourceName, cancel), OverrideParser.Parse(overrides));
        var byKey = entries.ToDictionary(e => e.Key, StringComparer.Ordinal);

        var config = new JobConfig { ModelNameOrPath = "", OutputDir = "" };
        var ignored = new List<IgnoredKey>();
        foreach (var entry in entries)
        {
            cancel.ThrowIfCancellationRequested();
            if (ConfigKeys.Find(entry.Key) is { } key)
            {
                config = key.Apply(config, entry);
                if (entry.Key == "report_to" && ReportTo.Ignored(config.ReportTo) is { } trackers)
                    ignored.Add(trackers);
            }
            else if (IgnoredKeys.Contains(entry.Key))
            {
                if (IgnoredKeys.Match(entry) is { } skipped)
                    ignored.Add(skipped);
            }
            else
                throw UnknownKey(entry);
        }

        // Hugging Face evaluates every eval_steps when only eval_steps is given.
        if (!byKey.ContainsKey("eval_strategy") && config.EvalSteps is not null)
            config = config with { EvalStrategy = EvalStrategy.Steps };

        PreferenceKeys.CheckStage(config, key => byKey.TryGetValue(key, out var e) ? e.Error : null);
        JobConfigValidator.Validate(config, key =>
            byKey.TryGetValue(key, out var e) ? (e.SourceName, e.Line) : (sourceName, null));
        cancel.ThrowIfCancellationRequested();

        var (resolved, rawPaths) = ConfigPaths.Resolve(config, paths, (key, problem) =>
            byKey.TryGetValue(key, out var e) ? e.Error(problem) : new ConfigException(sourceName, null, key, problem));
        resolved = ApplyDeepSpeed(resolved, byKey);
        return new LoadedConfig(resolved, ignored, rawPaths);
    }

    // Overrides replace the file's entry in place; new keys go after the file's.
    private static List<RawEntry> Merge(List<RawEntry> fromFile, List<RawEntry> overrides)
    {
        foreach (var o in overrides)
        {
            var i = fromFile.FindIndex(e => e.Key == o.Key);
            if (i >= 0)
                fromFile[i] = o;
            else
                fromFile.Add(o);
        }
        return fromFile;
    }

    // deepspeed sets the ZeRO stage unless zero_stage is given; when both are given they must agree.
    private static JobConfig ApplyDeepSpeed(JobConfig c, Dictionary<string, RawEntry> byKey)
    {
        if (c.Deepspeed is null)
            return c;
        var entry = byKey["deepspeed"];
        var stage = DeepSpeedStage.Infer(c.Deepspeed, entry);
        if (byKey.TryGetValue("zero_stage", out var explicitStage))
        {
            if (stage is { } s && s != c.ZeroStage)
                throw explicitStage.Error(
                    $"{c.ZeroStage} disagrees with deepspeed {InputText.Quote(entry.Text)} (ZeRO stage {s}); keep one, e.g. --set deepspeed=null");
            return c;
        }
        if (stage is null)
            throw entry.Error(
                $"{InputText.Quote(entry.Text)} does not exist and its name does not give the ZeRO stage; expected a DeepSpeed JSON file, a name containing ds_z0..ds_z3, or zero_stage instead");
        return c with { ZeroStage = stage.Value };
    }

    private static ConfigException UnknownKey(RawEntry entry)
    {
        var suggestion = KeySuggester.Closest(entry.Key, ConfigKeys.All.Select(k => k.Name).Concat(IgnoredKeys.Names));
        return entry.Error(suggestion is null
            ? "unknown key; docs/configuration.md lists the keys Athanor accepts"
            : $"unknown key; did you mean {suggestion}?");
    }
}
