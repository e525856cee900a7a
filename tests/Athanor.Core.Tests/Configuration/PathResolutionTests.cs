using Athanor.Configuration;

namespace Athanor.Tests.Configuration;

/// <summary>Relative paths resolve against the working folder (the base directory), as in LLaMA-Factory.</summary>
public sealed class PathResolutionTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void RelativeFoldersResolveAgainstTheBaseDirectoryAndKeepTheirRawText()
    {
        var model = _temp.Folder("models/tiny");
        var adapter = _temp.Folder("adapters/a1");
        var yaml = "model_name_or_path: models/tiny\nadapter_name_or_path: adapters/a1\ntokenizer: tok\n" +
                   "dataset: d\ndataset_dir: data\noutput_dir: runs/one\nresume_from_checkpoint: runs/one/checkpoint-10\n";

        var loaded = JobConfigLoader.Parse(yaml, "job.yaml", [], _temp.Path);
        var c = loaded.Config;

        Assert.Equal(model, c.ModelNameOrPath);
        Assert.Equal(adapter, c.AdapterNameOrPath);
        Assert.Equal(Path.Combine(_temp.Path, "tok"), c.Tokenizer);
        Assert.Equal(Path.Combine(_temp.Path, "data"), c.DatasetDir);
        Assert.Equal(Path.Combine(_temp.Path, "runs", "one"), c.OutputDir);
        Assert.Equal(Path.Combine(_temp.Path, "runs", "one", "checkpoint-10"), c.ResumeFromCheckpoint);
        Assert.Equal("models/tiny", loaded.RawPaths["model_name_or_path"]);
        Assert.Equal("runs/one", loaded.RawPaths["output_dir"]);
        Assert.Equal("data", loaded.RawPaths["dataset_dir"]);
    }

    [Fact]
    public void YamlFileFolderIsNotTheBase()
    {
        var yamlPath = _temp.File("configs/job.yaml", "model_name_or_path: m\ndataset: d\noutput_dir: out\n");

        var c = JobConfigLoader.Load(yamlPath, []).Config;

        Assert.Equal(Path.GetFullPath("out"), c.OutputDir);
        Assert.NotEqual(Path.Combine(_temp.Path, "configs", "out"), c.OutputDir);
    }

    [Fact]
    public void BuiltInTokenizerNamesAndHubIdsAreNotPaths()
    {
        var loaded = JobConfigLoader.Parse("model_name_or_path: Qwen/Qwen3-0.6B\ntokenizer: byte\ndataset: d\noutput_dir: o\n", "job.yaml", [], _temp.Path);

        Assert.Equal("Qwen/Qwen3-0.6B", loaded.Config.ModelNameOrPath);
        Assert.Equal("byte", loaded.Config.Tokenizer);
        Assert.False(loaded.RawPaths.ContainsKey("model_name_or_path"));
        Assert.False(loaded.RawPaths.ContainsKey("tokenizer"));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void ExistingDeepSpeedJsonGivesItsStage(int stage)
    {
        _temp.File("ds/custom.json", $$"""{ "train_batch_size": "auto", "zero_optimization": { "stage": {{stage}} } }""");

        var c = JobConfigLoader.Parse(TestConfigs.Minimal("deepspeed: ds/custom.json\n"), "job.yaml", [], _temp.Path).Config;

        Assert.Equal(stage, c.ZeroStage);
        Assert.Equal(Path.Combine(_temp.Path, "ds", "custom.json"), c.Deepspeed);
    }

    [Fact]
    public void TheJsonWinsOverTheFileName()
    {
        _temp.File("ds_z3_config.json", """{ "zero_optimization": { "stage": 1 } }""");

        var c = JobConfigLoader.Parse(TestConfigs.Minimal("deepspeed: ds_z3_config.json\n"), "job.yaml", [], _temp.Path).Config;

        Assert.Equal(1, c.ZeroStage);
    }

    [Fact]
    public void BrokenDeepSpeedJsonIsNamed()
    {
        _temp.File("ds.json", "{ not json");

        var ex = Assert.Throws<ConfigException>(() =>
            JobConfigLoader.Parse(TestConfigs.Minimal("deepspeed: ds.json\n"), "job.yaml", [], _temp.Path));

        Assert.StartsWith($"job.yaml:4: deepspeed: '{Path.Combine(_temp.Path, "ds.json")}' is not valid JSON", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
