using System.Text.Json;
using Athanor.Checkpoints.Safetensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Tests.Safetensors;

public class SafetensorsShardedCheckpointTests
{
    [Fact]
    public void SmallShardLimitGivesTransformersStyleShardsAndIndexThatReadBack()
    {
        using var folder = new TempFolder();
        // Six 1 KiB tensors and one 4 KiB tensor with a 3000-byte limit. As transformers does, the oversized tensor
        // becomes a shard of its own at once, while the small ones fill shards of two.
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("layers.0.w", torch.randn(16, 16)),
            new("layers.0.b", torch.randn(16, 16)),
            new("embed", torch.randn(32, 32)),
            new("layers.1.w", torch.randn(16, 16)),
            new("layers.1.b", torch.randn(16, 16)),
            new("norm.bf16", torch.randn(16, 32).to_type(ScalarType.BFloat16)),
            new("ids", torch.arange(128, dtype: ScalarType.Int64)),
        };
        try
        {
            var written = SafetensorsWriter.WriteSharded(folder.Path, tensors, maxShardBytes: 3000);

            var shardNames = Enumerable.Range(1, 4).Select(i => $"model-{i:D5}-of-00004.safetensors").ToArray();
            Assert.Equal([.. shardNames, "model.safetensors.index.json"], written.Select(Path.GetFileName));
            Assert.Equal(
                [.. shardNames, "model.safetensors.index.json"],
                Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

            var indexText = File.ReadAllText(folder.File("model.safetensors.index.json"));
            Assert.StartsWith("{\n  \"metadata\": {\n    \"total_size\": 10240\n  },\n  \"weight_map\": {\n    \"embed\": \"model-00001-of-00004.safetensors\",\n", indexText);
            Assert.EndsWith("\n  }\n}\n", indexText);
            using var index = JsonDocument.Parse(indexText);
            var weightMap = index.RootElement.GetProperty("weight_map").EnumerateObject().Select(p => (p.Name, p.Value.GetString())).ToArray();
            Assert.Equal(
            [
                ("embed", shardNames[0]), ("ids", shardNames[3]), ("layers.0.b", shardNames[1]), ("layers.0.w", shardNames[1]),
                ("layers.1.b", shardNames[2]), ("layers.1.w", shardNames[2]), ("norm.bf16", shardNames[3]),
            ], weightMap);

            using var checkpoint = SafetensorsCheckpoint.Open(folder.Path);
            Assert.Equal(tensors.Select(t => t.Key).Order(StringComparer.Ordinal), checkpoint.Names);
            Assert.Equal("10240", checkpoint.Metadata["total_size"]);
            foreach (var (name, tensor) in tensors)
            {
                Assert.True(checkpoint.Contains(name));
                Assert.Equal(tensor.shape, checkpoint.Info(name).Shape);
                using var loaded = checkpoint.Load(name);
                SafetensorsRoundTripTests.AssertSameTensor(tensor, loaded);
            }
            using var shard = SafetensorsFile.Open(folder.File(shardNames[1]));
            Assert.Equal("pt", shard.Metadata["format"]);
            Assert.Equal(["layers.0.b", "layers.0.w"], shard.Tensors.Keys.Order(StringComparer.Ordinal));
        }
        finally
        {
            foreach (var (_, tensor) in tensors) tensor.Dispose();
        }
    }

    [Fact]
    public void EverythingInOneShardWritesModelSafetensorsWithoutIndexAndClearsStaleShards()
    {
        using var folder = new TempFolder();
        using var a = torch.randn(8, 8);
        using var b = torch.ones(3, dtype: ScalarType.Bool);
        SafetensorsWriter.WriteSharded(folder.Path, [new("a", a), new("b", b)], maxShardBytes: 256);
        Assert.True(File.Exists(folder.File("model.safetensors.index.json")));

        var written = SafetensorsWriter.WriteSharded(folder.Path, [new("a", a), new("b", b)], maxShardBytes: 1L << 30);

        Assert.Equal([folder.File("model.safetensors")], written);
        Assert.Equal(["model.safetensors"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
        using var checkpoint = SafetensorsCheckpoint.Open(folder.Path);
        Assert.Equal(["a", "b"], checkpoint.Names);
        using var loaded = checkpoint.Load("a");
        SafetensorsRoundTripTests.AssertSameTensor(a, loaded);
    }

    [Fact]
    public void ShardsAreWrittenWhileTheTensorsAreStillStreaming()
    {
        using var folder = new TempFolder();
        var produced = new List<Tensor>();
        var tempFilesSeen = new List<int>();

        IEnumerable<KeyValuePair<string, Tensor>> Stream()
        {
            for (var i = 0; i < 6; i++)
            {
                tempFilesSeen.Add(Directory.GetFiles(folder.Path, ".*.tmp").Length);
                var tensor = torch.full(256, (float)i); // 1 KiB
                produced.Add(tensor);
                yield return new($"t{i}", tensor);
            }
        }

        SafetensorsWriter.WriteSharded(folder.Path, Stream(), maxShardBytes: 2048, disposeInputs: true);

        // Two tensors per shard: the first shard is on disk before the fourth tensor is even made.
        Assert.Equal([0, 0, 0, 1, 1, 2], tempFilesSeen);
        Assert.All(produced, t => Assert.True(t.IsInvalid)); // each disposed once written
        using var checkpoint = SafetensorsCheckpoint.Open(folder.Path);
        Assert.Equal(3, checkpoint.Files.Count);
        using var t5 = checkpoint.Load("t5");
        Assert.Equal(5f, t5[255].item<float>());
    }

    [Fact]
    public void IndexNamingAMissingShardIsRefusedOnOpen()
    {
        using var folder = new TempFolder();
        WriteThreeShards(folder);
        File.Delete(folder.File("model-00002-of-00003.safetensors"));

        var ex = Assert.Throws<FileNotFoundException>(() => SafetensorsCheckpoint.Open(folder.Path));
        Assert.Contains("model-00002-of-00003.safetensors", ex.Message);
        Assert.Contains("model.safetensors.index.json", ex.Message);
    }

    [Fact]
    public void ShardLackingATensorTheIndexClaimsIsRefusedWhenOpened()
    {
        using var folder = new TempFolder();
        WriteThreeShards(folder);
        var indexPath = folder.File("model.safetensors.index.json");
        File.WriteAllText(indexPath, File.ReadAllText(indexPath).Replace("\"weight_map\": {", "\"weight_map\": {\n    \"ghost\": \"model-00001-of-00003.safetensors\","));

        using var checkpoint = SafetensorsCheckpoint.Open(folder.Path);
        Assert.True(checkpoint.Contains("ghost"));
        var ex = Assert.Throws<SafetensorsFormatException>(() => checkpoint.Load("ghost"));
        Assert.Contains("model-00001-of-00003.safetensors", ex.Message);
        Assert.Contains("'ghost'", ex.Message);
        Assert.Contains("model.safetensors.index.json", ex.Message);
    }

    [Fact]
    public void MissingTensorNamesTheTensorAndTheFolder()
    {
        using var folder = new TempFolder();
        WriteThreeShards(folder);
        using var checkpoint = SafetensorsCheckpoint.Open(folder.Path);

        var ex = Assert.Throws<SafetensorsTensorNotFoundException>(() => checkpoint.Info("lm_head.weight"));
        Assert.IsAssignableFrom<KeyNotFoundException>(ex);
        Assert.Contains("'lm_head.weight'", ex.Message);
        Assert.Contains(folder.Path, ex.Message);
        Assert.False(checkpoint.Contains("lm_head.weight"));
    }

    [Fact]
    public void FolderWithoutCheckpointFilesIsRefused()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("config.json"), "{}");

        var ex = Assert.Throws<FileNotFoundException>(() => SafetensorsCheckpoint.Open(folder.Path));
        Assert.Contains("model.safetensors", ex.Message);
        Assert.Contains("model.safetensors.index.json", ex.Message);
        Assert.Contains(folder.Path, ex.Message);
    }

    [Fact]
    public void ASingleFilePathOpensAsACheckpoint()
    {
        using var folder = new TempFolder();
        using var x = torch.arange(5, dtype: ScalarType.Int32);
        var path = folder.File("adapter_model.safetensors");
        SafetensorsWriter.Write(path, [new("x", x)]);

        using var checkpoint = SafetensorsCheckpoint.Open(path);
        Assert.Equal(["x"], checkpoint.Names);
        Assert.Equal("pt", checkpoint.Metadata["format"]);
        using var loaded = checkpoint.Load("x", ScalarType.Int64);
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, loaded.data<long>().ToArray());
    }

    private static void WriteThreeShards(TempFolder folder)
    {
        using var a = torch.ones(64);
        using var b = torch.ones(64);
        using var c = torch.ones(64);
        SafetensorsWriter.WriteSharded(folder.Path, [new("a", a), new("b", b), new("c", c)], maxShardBytes: 256);
        Assert.True(File.Exists(folder.File("model-00003-of-00003.safetensors")));
    }
}
