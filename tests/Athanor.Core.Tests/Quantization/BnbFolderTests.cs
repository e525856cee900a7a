using System.Text;
using System.Text.Json.Nodes;
using Athanor.Checkpoints.Safetensors;
using Athanor.Configuration;
using Athanor.Jobs;
using Athanor.Models;
using Athanor.Quantization;
using Athanor.Tests.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Quantization;

/// <summary>A bitsandbytes 4-bit folder written with our quantizer in bitsandbytes' layout, read back by the job path.</summary>
public sealed class BnbFolderTests
{
    [Theory]
    [InlineData(QuantizationType.Nf4, true)]
    [InlineData(QuantizationType.Fp4, false)]
    public void APrequantizedFolderReadsBackToTheSameFourBitWeights(QuantizationType type, bool doubleQuant)
    {
        using var temp = new TestPaths.TempFolder();
        var baseDir = QloraJob.SaveBase(temp.Path);
        var settings = new QuantizationSettings(type, doubleQuant);
        var bnb = QloraJob.SavePrequantized(baseDir, temp.Path, settings);
        var typeName = type == QuantizationType.Nf4 ? "nf4" : "fp4";

        // The layout on disk: the keys and dtypes bitsandbytes writes for one projection.
        using (var file = SafetensorsFile.Open(Path.Combine(bnb, "model.safetensors")))
        {
            const string q = "model.layers.0.self_attn.q_proj.weight";
            Assert.Equal("U8", file.Info(q).Dtype);
            Assert.Equal(new long[] { 64 * 64 / 2, 1 }, file.Info(q).Shape);
            Assert.Equal(doubleQuant ? "U8" : "F32", file.Info(q + ".absmax").Dtype);
            Assert.Equal(new long[] { 64 }, file.Info(q + ".absmax").Shape);
            Assert.Equal(new long[] { 16 }, file.Info(q + ".quant_map").Shape);
            Assert.Equal(doubleQuant, file.Contains(q + ".nested_absmax"));
            Assert.Equal(doubleQuant, file.Contains(q + ".nested_quant_map"));
            using var stateBytes = file.Load(q + ".quant_state.bitsandbytes__" + typeName);
            var state = JsonNode.Parse(Encoding.UTF8.GetString(stateBytes.data<byte>().ToArray()))!.AsObject();
            Assert.Equal(typeName, state["quant_type"]!.GetValue<string>());
            Assert.Equal(64, state["blocksize"]!.GetValue<int>());
            Assert.Equal("float32", state["dtype"]!.GetValue<string>());
            Assert.Equal("[64,64]", state["shape"]!.ToJsonString());
            Assert.Equal(doubleQuant, state.ContainsKey("nested_offset"));
            Assert.Equal("F32", file.Info("model.layers.0.input_layernorm.weight").Dtype);
        }

        // Read through the job path and quantized on load from the plain folder: the same 4-bit weights, bit for bit.
        var extra = $"quantization_bit: 4\nquantization_type: {typeName}\ndouble_quantization: {(doubleQuant ? "true" : "false")}";
        var log = new List<string>();
        var (read, _, _) = JobPreparation.BuildModel(QloraJob.Job(bnb, temp.Sub("a"), extra), ModelConfig.Load(bnb), log.Add);
        var (onLoad, _, _) = JobPreparation.BuildModel(QloraJob.Job(baseDir, temp.Sub("b"), extra), ModelConfig.Load(baseDir), null);
        using (read)
        using (onLoad)
        {
            Assert.Contains(log, l => l.Contains($"read packed from {bnb}", StringComparison.Ordinal));
            var pairs = read.BlockProjections().Zip(onLoad.BlockProjections()).ToList();
            Assert.Equal(14, pairs.Count);
            foreach (var ((name, a), (_, b)) in pairs)
            {
                Assert.Equal(b.Quantized!.Packed.data<byte>().ToArray(), a.Quantized!.Packed.data<byte>().ToArray());
                using var wa = a.Quantized.Dequantize(ScalarType.Float32);
                using var wb = b.Quantized.Dequantize(ScalarType.Float32);
                Assert.Equal(wb.data<float>().ToArray(), wa.data<float>().ToArray());
            }
            using var ids = tensor(new long[] { 5, 17, 99, 3, 200, 41 }).unsqueeze(0);
            using var la = read.forward(ids);
            using var lb = onLoad.forward(ids);
            Assert.Equal(lb.data<float>().ToArray(), la.data<float>().ToArray());
        }
    }

    [Fact]
    public void TrainingOnAPrequantizedFolderMatchesQuantizingOnLoad()
    {
        using var temp = new TestPaths.TempFolder();
        var baseDir = QloraJob.SaveBase(temp.Path);
        var bnb = QloraJob.SavePrequantized(baseDir, temp.Path, new QuantizationSettings(QuantizationType.Nf4, true));
        var a = temp.Sub("prequantized");
        var b = temp.Sub("on-load");
        QloraJob.Train(QloraJob.Job(bnb, a, "quantization_bit: 4", maxSteps: 5), []);
        QloraJob.Train(QloraJob.Job(baseDir, b, "quantization_bit: 4", maxSteps: 5), []);
        Assert.Equal(TrainingCurves.StepLosses(b), TrainingCurves.StepLosses(a));
    }

    [Theory]
    [InlineData("""{"quant_method": "gptq", "bits": 4}""", "quantization_config.quant_method 'gptq' is not read; accepted: bitsandbytes 4-bit folders (load_in_4bit: true)")]
    [InlineData("""{"quant_method": "bitsandbytes", "load_in_8bit": true}""", "quantization_config has load_in_8bit: true (LLM.int8), which is not read yet")]
    [InlineData("""{"quant_method": "bitsandbytes", "load_in_4bit": true, "bnb_4bit_quant_storage": "bfloat16"}""", "bnb_4bit_quant_storage 'bfloat16' is not read; accepted: uint8")]
    public void OtherQuantizedFormatsAreOneLineErrors(string quantizationConfig, string expected)
    {
        using var temp = new TestPaths.TempFolder();
        var baseDir = QloraJob.SaveBase(temp.Path);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(baseDir, "config.json")))!.AsObject();
        config["quantization_config"] = JsonNode.Parse(quantizationConfig);
        File.WriteAllText(Path.Combine(baseDir, "config.json"), config.ToJsonString());
        var ex = Assert.Throws<ModelFormatException>(() => JobPreparation.Preflight(QloraJob.Job(baseDir, temp.Sub("run"), "quantization_bit: 4")));
        Assert.Contains(expected, ex.Message);
        Assert.StartsWith(Path.Combine(baseDir, "config.json"), ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
