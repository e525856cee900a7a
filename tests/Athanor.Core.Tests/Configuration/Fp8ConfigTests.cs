using Athanor.Configuration;

namespace Athanor.Tests.Configuration;

/// <summary>The FP8 keys (issue 25): fp8 and fp8_recipe load, round-trip, and every setting that cannot run is a one-line error.</summary>
public sealed class Fp8ConfigTests
{
    private const string OnGpu = "device: cuda\nbf16: true\n";

    private static JobConfig Loads(string extra) =>
        JobConfigLoader.Parse(TestConfigs.Minimal(extra), "job.yaml", [], Path.GetTempPath()).Config;

    private static ConfigException Fails(string extra)
    {
        var ex = Assert.Throws<ConfigException>(() => JobConfigLoader.Parse(TestConfigs.Minimal(extra), "job.yaml", [], Path.GetTempPath()));
        Assert.DoesNotContain('\n', ex.Message);
        return ex;
    }

    [Fact]
    public void Fp8IsOffByDefaultAndTensorwise()
    {
        var c = Loads("");
        Assert.False(c.Fp8);
        Assert.Equal(Fp8Recipe.Tensorwise, c.Fp8Recipe);
    }

    [Fact]
    public void Fp8OnACudaDeviceWithBf16Loads()
    {
        var c = Loads(OnGpu + "fp8: true\nfp8_recipe: TensorWise\n");
        Assert.True(c.Fp8);
        Assert.Equal(Fp8Recipe.Tensorwise, c.Fp8Recipe);
    }

    [Fact]
    public void TheKeysRoundTripThroughTheWriter()
    {
        var c = Loads(OnGpu + "fp8: true\n");
        var yaml = JobConfigWriter.ToYaml(c);
        Assert.Contains("fp8: true", yaml);
        Assert.Contains("fp8_recipe: tensorwise", yaml);
        Assert.Equal(c, JobConfigLoader.Parse(yaml, "written.yaml", [], Path.GetTempPath()).Config);
    }

    [Fact]
    public void Fp8WithoutBf16NamesWhatItNeeds()
    {
        var ex = Fails("device: cuda\nfp8: true\n");
        Assert.Equal("job.yaml:5: fp8: true needs bf16: true (the fp8 GEMMs read and write bf16; everything else runs in bf16); " +
            "accepted: fp8: true with bf16: true, or fp8: false", ex.Message);
    }

    [Theory]
    [InlineData("")] // device defaults to cpu
    [InlineData("device: cpu\n")]
    public void Fp8OnCpuIsRefusedWithTheReason(string device)
    {
        var ex = Fails(device + "bf16: true\nfp8: true\n");
        Assert.Contains("fp8: true is not accepted with device: cpu: fp8 GEMMs need a CUDA GPU of compute capability 8.9 or newer", ex.Message);
        Assert.Contains("accepted: device: cuda or cuda:N on such a GPU, or fp8: false", ex.Message);
    }

    [Fact]
    public void Fp8WithAFourBitBaseIsRefused()
    {
        var ex = Fails(OnGpu + "finetuning_type: lora\nquantization_bit: 4\nfp8: true\n");
        Assert.Contains("fp8: true with quantization_bit: 4 is not supported", ex.Message);
    }

    [Fact]
    public void Fp8WithZeroStage3IsRefused()
    {
        var ex = Fails(OnGpu + "zero_stage: 3\nfp8: true\n");
        Assert.Contains("fp8: true with zero_stage 3 is not supported yet", ex.Message);
        Assert.Contains("accepted: zero_stage 0, 1 or 2 with fp8: true, or fp8: false", ex.Message);
    }

    [Theory]
    [InlineData("rowwise", "job.yaml:7: fp8_recipe: 'rowwise' is not supported yet; accepted: tensorwise (one dynamic scale per tensor)")]
    [InlineData("delayed", "job.yaml:7: fp8_recipe: 'delayed' is not supported yet; accepted: tensorwise (one dynamic scale per tensor)")]
    [InlineData("blockwise", "job.yaml:7: fp8_recipe: 'blockwise' is not accepted; expected tensorwise (one dynamic scale per tensor)")]
    public void OtherRecipesNameTheValueAndWhatIsAccepted(string recipe, string message)
    {
        Assert.Equal(message, Fails(OnGpu + $"fp8: true\nfp8_recipe: {recipe}\n").Message);
    }

    [Fact]
    public void Fp8ThatIsNotABoolIsAnError()
    {
        Assert.Equal("job.yaml:6: fp8: 'e4m3' is not true or false; expected true or false", Fails(OnGpu + "fp8: e4m3\n").Message);
    }
}
