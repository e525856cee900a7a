using Athanor.Configuration;
using Athanor.Data;
using Athanor.Data.Formats;
using Athanor.Data.Pipeline;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Tests.Data.Pipeline;

/// <summary>The tokenized-dataset cache: hit on the same inputs, miss on any change, damage detected and rebuilt.</summary>
public sealed class TokenCacheTests : IDisposable
{
    private readonly TestPaths.TempFolder _root = new();
    private readonly string _data;

    public TokenCacheTests()
    {
        _data = _root.Sub("data");
        Directory.CreateDirectory(_data);
        File.Copy(Path.Combine(PipelineTestData.LlamaFactoryDir, "identity.json"), Path.Combine(_data, "identity.json"));
        File.WriteAllText(Path.Combine(_data, "dataset_info.json"), """{"identity": {"file_name": "identity.json"}}""");
    }

    public void Dispose() => _root.Dispose();

    private JobConfig Job(params string[] overrides) => PipelineTestData.Job(_root.Path, _data, "identity", overrides);

    private static (PreparedData Data, List<string> Log) Prepare(JobConfig config, ITokenizer? tokenizer = null)
    {
        var log = new List<string>();
        return (DataPipeline.Prepare(config, tokenizer ?? new ByteTokenizer(), log.Add), log);
    }

    private static void AssertSameSamples(IReadOnlyList<TokenizedSample> expected, IReadOnlyList<TokenizedSample> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].InputIds, actual[i].InputIds);
            Assert.Equal(expected[i].Labels, actual[i].Labels);
        }
    }

    [Fact]
    public void TheFirstRunEncodesAndCachesTheSecondLoadsTheSameSamples()
    {
        var config = Job("val_size=0.1");
        var (first, firstLog) = Prepare(config);
        Assert.False(first.FromCache);
        Assert.Contains(firstLog, l => l.StartsWith("data: encoded", StringComparison.Ordinal));
        Assert.StartsWith(Path.Combine(_root.Path, ".athanor-cache"), first.CacheFolder);

        var (second, secondLog) = Prepare(config with { PreprocessingNumWorkers = 1 }); // workers do not change the samples
        Assert.True(second.FromCache);
        Assert.Contains(secondLog, l => l.Contains("from the cache", StringComparison.Ordinal));
        Assert.Equal(first.CacheFolder, second.CacheFolder);
        Assert.Equal(first.TrainReport.ToString(), second.TrainReport.ToString());
        Assert.Equal(firstLog.Where(l => !l.StartsWith("data:", StringComparison.Ordinal)),
                     secondLog.Where(l => !l.StartsWith("data:", StringComparison.Ordinal)));

        // Both equal what the sequential loader + encoder give (JobPreparation's behaviour before the pipeline).
        var tokenizer = new ByteTokenizer();
        var loaded = DatasetLoader.LoadConversations(new DatasetLoadOptions { DatasetDir = _data, Datasets = ["identity"], ValSize = 0.1, Seed = 7 });
        var template = ChatTemplates.Get("default", tokenizer);
        var (train, _) = SampleEncoder.EncodeConversations(loaded.Train, template, tokenizer, 128, false);
        var (validation, _) = SampleEncoder.EncodeConversations(loaded.Validation, template, tokenizer, 128, false);
        AssertSameSamples(train, first.Data.Train);
        AssertSameSamples(train, second.Data.Train);
        AssertSameSamples(validation, second.Data.Validation);
        Assert.Equal(10, second.Data.Validation.Count); // ceil(0.1 * 91) records held out
    }

    [Fact]
    public void ChangingOneByteOfTheDataMissesTheCache()
    {
        var (first, _) = Prepare(Job());
        var file = Path.Combine(_data, "identity.json");
        File.WriteAllText(file, File.ReadAllText(file).Replace("Hello! I am", "Hello, I am"));
        var (second, log) = Prepare(Job());
        Assert.False(second.FromCache);
        Assert.NotEqual(first.CacheFolder, second.CacheFolder);
        Assert.NotEqual(first.Data.Train[0].InputIds, second.Data.Train[0].InputIds);
        Assert.Contains(log, l => l.StartsWith("data: encoded", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("template=alpaca")]
    [InlineData("cutoff_len=64")]
    [InlineData("train_on_prompt=true")]
    [InlineData("max_samples=10")]
    [InlineData("seed=8")]
    [InlineData("val_size=0.2")]
    [InlineData("on_bad_record=skip")]
    public void ChangingTheTemplateOrAnEncodingSettingMissesTheCache(string change)
    {
        var (first, _) = Prepare(Job("val_size=0.1"));
        var (second, _) = Prepare(Job("val_size=0.1", change));
        Assert.False(second.FromCache);
        Assert.NotEqual(first.CacheFolder, second.CacheFolder);
    }

    [Fact]
    public void TheModelChatTemplateTextIsPartOfTheKey()
    {
        var config = Job("template=model");
        var tokenizer = PipelineTestData.Qwen3Tokenizer;
        Assert.NotEqual(TokenCacheKey.Compute(config with { Template = "qwen3_nothink" }, tokenizer), TokenCacheKey.Compute(config, tokenizer));
        Assert.NotEqual(TokenCacheKey.Compute(config, new ByteTokenizer()), TokenCacheKey.Compute(config, tokenizer));
    }

    [Theory]
    [InlineData("tokens.bin")]
    [InlineData("labels.bin")]
    [InlineData("offsets.bin")]
    [InlineData("meta.json")]
    public void ADamagedEntryIsReportedIgnoredAndRebuilt(string file)
    {
        var (first, _) = Prepare(Job());
        var expected = first.Data.Train.ToList(); // copies: the mapping would show the damage below
        var path = Path.Combine(first.CacheFolder!, file);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x5A; // a flipped byte inside the file
        File.WriteAllBytes(path, bytes);

        var (second, log) = Prepare(Job());
        Assert.False(second.FromCache);
        Assert.Contains(log, l => l.Contains("ignoring the damaged cache entry", StringComparison.Ordinal));
        AssertSameSamples(expected, second.Data.Train);
        var (third, _) = Prepare(Job());
        Assert.True(third.FromCache);
    }

    [Fact]
    public void ATruncatedFileIsDetectedBySize()
    {
        var (first, _) = Prepare(Job());
        var path = Path.Combine(first.CacheFolder!, TokenCache.TokensFile);
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(stream.Length - 4);
        Assert.Null(TokenCache.TryOpen(Path.GetDirectoryName(first.CacheFolder)!, Path.GetFileName(first.CacheFolder)!, out var problem));
        Assert.Contains("tokens.bin has", problem);
    }

    [Fact]
    public void TokenizedPathChoosesTheCacheFolderAndNoTemporaryFolderIsLeft()
    {
        var folder = _root.Sub("my-cache");
        var (data, _) = Prepare(Job($"tokenized_path={folder}"));
        Assert.Equal(folder, Path.GetDirectoryName(data.CacheFolder));
        Assert.Single(Directory.GetDirectories(folder)); // the temp folder was renamed, not copied
        Assert.Equal(4, Directory.GetFiles(data.CacheFolder!).Length);
    }

    [Fact]
    public void SkippedRecordsAreCountedAndReplayedFromTheCache()
    {
        File.WriteAllText(Path.Combine(_data, "bad.jsonl"), "{\"instruction\": \"hi\", \"output\": \"hello\"}\nnot json\n{\"instruction\": \"x\"}\n");
        File.WriteAllText(Path.Combine(_data, "dataset_info.json"), """{"identity": {"file_name": "identity.json"}, "bad": {"file_name": "bad.jsonl"}}""");
        var config = PipelineTestData.Job(_root.Path, _data, "bad", "on_bad_record=skip");
        var (first, firstLog) = Prepare(config);
        Assert.Equal(2, first.SkippedRecords);
        Assert.Contains(firstLog, l => l.Contains("bad (train): read 3, kept 1, skipped 2", StringComparison.Ordinal) && l.Contains("bad.jsonl:2", StringComparison.Ordinal));
        var (second, secondLog) = Prepare(config);
        Assert.True(second.FromCache);
        Assert.Equal(2, second.SkippedRecords);
        Assert.Contains(secondLog, l => l.Contains("skipped 2", StringComparison.Ordinal));
    }
}
