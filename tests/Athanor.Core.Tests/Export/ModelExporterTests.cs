using System.Text.Json.Nodes;
using Athanor.Checkpoints;
using Athanor.Checkpoints.Safetensors;
using Athanor.Export;
using Athanor.Inference;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Tests.Models;
using static TorchSharp.torch;

namespace Athanor.Tests.Export;

[Collection(nameof(Athanor.Tests.Inference.TorchRngCollection))]
public class ModelExporterTests
{
    private static JsonObject Json(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    [Fact]
    public void FullCheckpointBecomesAShardedHuggingFaceFolderWithTheSameLogits()
    {
        using var temp = new TestPaths.TempFolder();
        var run = RunFolder.WriteConfig(temp.Sub("run"), TestPaths.Model("llama"), "full");
        var checkpoint = RunFolder.SaveFull(run, 3);
        var result = ModelExporter.Export(new ExportOptions(checkpoint, temp.Sub("export"), MaxShardBytes: 100_000));

        Assert.False(result.IsAdapter);
        Assert.True(File.Exists(temp.Sub("export", "model.safetensors.index.json")));
        Assert.True(Directory.GetFiles(temp.Sub("export"), "model-*-of-*.safetensors").Length > 1);
        Assert.Equal("float32", Json(temp.Sub("export", "config.json"))["torch_dtype"]!.GetValue<string>());
        var generation = Json(temp.Sub("export", "generation_config.json"));
        Assert.Equal((1, 2, 0), (generation["bos_token_id"]!.GetValue<int>(), generation["eos_token_id"]!.GetValue<int>(), generation["pad_token_id"]!.GetValue<int>()));
        Assert.True(TokenizerLocator.IsByteTokenizerFolder(temp.Sub("export")));

        using var exported = InferenceModel.Load(temp.Sub("export"));
        Assert.IsType<Athanor.Tokenization.ByteTokenizer>(exported.Tokenizer);
        using var original = Golden.LoadModel("llama");
        var (ids, _) = Golden.Read(TestPaths.Model("llama"));
        using (ids)
        using (no_grad())
        {
            using var a = original.forward(ids);
            using var b = exported.Model.forward(ids);
            using var diff = (a - b).abs().max();
            Assert.Equal(0f, diff.item<float>()); // fp32 weights written as they were
        }
    }

    [Fact]
    public void Bf16ExportWritesBf16TensorsAndSaysSoInConfig()
    {
        using var temp = new TestPaths.TempFolder();
        var run = RunFolder.WriteConfig(temp.Sub("run"), TestPaths.Model("llama"), "full");
        RunFolder.SaveFull(run, 3);
        ModelExporter.Export(new ExportOptions(run, temp.Sub("export"), Dtype: ScalarType.BFloat16));
        Assert.Equal("bfloat16", Json(temp.Sub("export", "config.json"))["torch_dtype"]!.GetValue<string>());
        using var file = SafetensorsCheckpoint.Open(temp.Sub("export"));
        Assert.All(file.Names, n => Assert.Equal(ScalarType.BFloat16, file.Info(n).ScalarType));
    }

    [Fact]
    public void OutputDirMeansItsNewestCompleteCheckpoint()
    {
        using var temp = new TestPaths.TempFolder();
        var run = RunFolder.WriteConfig(temp.Sub("run"), TestPaths.Model("llama"), "full");
        RunFolder.SaveFull(run, 3);
        var torn = RunFolder.SaveFull(run, 5);
        File.Delete(Path.Combine(torn, CheckpointManifest.FileName)); // interrupted while being written
        var result = ModelExporter.Export(new ExportOptions(run, temp.Sub("export")));
        Assert.Equal("checkpoint-3", Path.GetFileName(result.Checkpoint));

        var ex = Assert.Throws<ExportException>(() => ModelExporter.Export(new ExportOptions(torn, temp.Sub("export2"))));
        Assert.Contains("not a complete checkpoint: no manifest", ex.Message);
        var none = Assert.Throws<ExportException>(() => ModelExporter.Export(new ExportOptions(temp.Sub("run", "checkpoint-3", ".."), temp.Sub("run"))));
        Assert.Contains("is the checkpoint's own or its run's folder", none.Message);
    }

    [Fact]
    public void FolderWithoutCheckpointsIsRefused()
    {
        using var temp = new TestPaths.TempFolder();
        Directory.CreateDirectory(temp.Sub("empty"));
        var ex = Assert.Throws<ExportException>(() => ModelExporter.Export(new ExportOptions(temp.Sub("empty"), temp.Sub("export"))));
        Assert.StartsWith($"{temp.Sub("empty")}: not a complete checkpoint: ", ex.Message);
    }

    [Fact]
    public void MergedLoraExportGivesPeftsLogits()
    {
        using var temp = new TestPaths.TempFolder();
        var run = RunFolder.WriteConfig(temp.Sub("run"), TestPaths.Model("llama"), "lora", "init: pretrained");
        RunFolder.SaveLora(run, 2);
        var result = ModelExporter.Export(new ExportOptions(run, temp.Sub("merged"), MergeLora: true));
        Assert.False(result.IsAdapter);
        Assert.False(File.Exists(temp.Sub("merged", PeftAdapter.ConfigFile)));

        using var merged = InferenceModel.Load(temp.Sub("merged"));
        using var peft = SafetensorsFile.Open(Path.Combine(TestPaths.Model("llama"), "lora", "golden.safetensors"));
        using var ids = peft.Load("input_ids");
        using var expected = peft.Load("logits");
        using (no_grad())
        {
            using var logits = merged.Model.forward(ids);
            Assert.True(Golden.RelativeError(logits, expected) < 1e-4);
        }
    }

    [Fact]
    public void TheStreamedMergeEqualsMergingIntoTheLoadedModelBitForBit()
    {
        using var temp = new TestPaths.TempFolder();
        var run = RunFolder.WriteConfig(temp.Sub("run"), TestPaths.Model("llama"), "lora", "init: pretrained");
        var checkpoint = RunFolder.SaveLora(run, 2);
        ModelExporter.Export(new ExportOptions(run, temp.Sub("merged"), MergeLora: true, Dtype: ScalarType.Float32));

        using var model = new CausalLM(ModelConfig.Load(TestPaths.Model("llama")), initialize: false);
        ModelWeights.Load(model, TestPaths.Model("llama"));
        PeftAdapter.Load(model, checkpoint);
        using var written = ModelWeights.OpenCheckpoint(temp.Sub("merged"));
        int compared = 0;
        foreach (var (name, expected) in LoraModel.MergedBaseTensors(model, ScalarType.Float32))
        {
            using (expected)
            using (var actual = written.Load(name))
                Assert.True(actual.shape.SequenceEqual(expected.shape) && actual.eq(expected).all().item<bool>(), $"{name} differs");
            compared++;
        }
        Assert.Equal(written.Names.Count, compared);
    }

    [Fact]
    public void UnmergedLoraExportIsThePeftAdapterAlone()
    {
        using var temp = new TestPaths.TempFolder();
        var run = RunFolder.WriteConfig(temp.Sub("run"), TestPaths.Model("llama"), "lora", "init: pretrained");
        RunFolder.SaveLora(run, 2);
        var result = ModelExporter.Export(new ExportOptions(run, temp.Sub("adapter")));
        Assert.True(result.IsAdapter);
        Assert.Equal([PeftAdapter.ConfigFile, PeftAdapter.WeightsFile], Directory.GetFiles(temp.Sub("adapter")).Select(Path.GetFileName).Order());

        using var model = InferenceModel.Load(TestPaths.Model("llama"), adapter: temp.Sub("adapter"), tokenizer: "byte");
        using var peft = SafetensorsFile.Open(Path.Combine(TestPaths.Model("llama"), "lora", "golden.safetensors"));
        using var ids = peft.Load("input_ids");
        using var expected = peft.Load("logits");
        using (no_grad())
        {
            using var logits = model.Model.forward(ids);
            Assert.True(Golden.RelativeError(logits, expected) < 1e-4);
        }
    }

    [Fact]
    public void AdapterThatDoesNotFitTheBaseIsRefused()
    {
        using var temp = new TestPaths.TempFolder();
        // A base of another shape: hidden 32 instead of the adapter's 64.
        var otherBase = temp.Sub("other-base");
        var config = ModelConfig.Load(TestPaths.Model("llama")) with { HiddenSize = 32, HeadDim = 8, Source = null };
        using (var other = new CausalLM(config)) ModelWeights.Save(other, otherBase);
        var run = RunFolder.WriteConfig(temp.Sub("run"), otherBase, "lora", "init: pretrained");
        RunFolder.SaveLora(run, 2);
        var ex = Assert.Throws<ExportException>(() => ModelExporter.Export(new ExportOptions(run, temp.Sub("merged"), MergeLora: true)));
        Assert.Contains($"the adapter does not match the base model {otherBase}", ex.Message);
    }

    [Fact]
    public void MergingIntoARandomInitBaseIsRefused()
    {
        using var temp = new TestPaths.TempFolder();
        var run = RunFolder.WriteConfig(temp.Sub("run"), TestPaths.Model("llama"), "lora", "init: random");
        RunFolder.SaveLora(run, 2);
        var ex = Assert.Throws<ExportException>(() => ModelExporter.Export(new ExportOptions(run, temp.Sub("merged"), MergeLora: true)));
        Assert.Contains("export without --merge-lora", ex.Message);
    }

    [Theory]
    [InlineData("500MB", 500_000_000L)]
    [InlineData("5GB", 5_000_000_000L)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("1048576", 1048576L)]
    [InlineData("1.5kb", 1500L)]
    public void ShardSizesParse(string text, long bytes) => Assert.Equal(bytes, ByteSize.Parse(text));

    [Theory]
    [InlineData("5XB")]
    [InlineData("-1")]
    [InlineData("GB")]
    [InlineData("0")]
    public void BadShardSizesNameWhatIsAccepted(string text)
    {
        var ex = Assert.Throws<ExportException>(() => ByteSize.Parse(text));
        Assert.Contains($"--shard-size '{text}' is not a size; accepted:", ex.Message);
    }

    [Fact]
    public void BadDtypeNamesWhatIsAccepted() =>
        Assert.Equal("--dtype 'int8' is not supported; accepted: bf16, fp16, fp32", Assert.Throws<ExportException>(() => ExportDtype.Parse("int8")).Message);
}
