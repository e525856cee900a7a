using Athanor.Configuration;

namespace Athanor.Tests.Configuration;

/// <summary>docs/configuration.md documents every key the loader knows, including the ignored ones.</summary>
public class ConfigurationDocsTests
{
    [Fact]
    public void EveryKeyHasARowInTheReference()
    {
        var docs = File.ReadAllText(Path.Combine(TestPaths.RepoRoot(), "docs", "configuration.md"));
        var written = new[] { (TrainingStage.Sft, PreferenceLoss.Sigmoid), (TrainingStage.Dpo, PreferenceLoss.Sigmoid), (TrainingStage.Dpo, PreferenceLoss.Simpo), (TrainingStage.Kto, PreferenceLoss.Sigmoid) }
            .SelectMany(c => JobConfigWriter.ToYaml(new JobConfig { ModelNameOrPath = "/m", OutputDir = "/o", Stage = c.Item1, PrefLoss = c.Item2 }).Split('\n'))
            .Distinct()
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l[..l.IndexOf(':')]);
        string[] notStored = ["fp16", "trust_remote_code", "overwrite_cache", "dataloader_num_workers", "ddp_timeout"];

        foreach (var key in written.Concat(notStored))
            Assert.True(docs.Contains($"| `{key}` |", StringComparison.Ordinal), $"docs/configuration.md has no row for {key}");
    }
}
