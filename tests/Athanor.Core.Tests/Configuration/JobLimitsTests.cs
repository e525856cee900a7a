using Athanor.Configuration;

namespace Athanor.Tests.Configuration;

/// <summary>Absurd sizes are refused with the key and the reason, before any arithmetic on them can overflow.</summary>
public class JobLimitsTests
{
    private static ConfigException Fails(string extra) =>
        Assert.Throws<ConfigException>(() => JobConfigLoader.Parse(TestConfigs.Minimal(extra), "job.yaml", [], Path.GetTempPath()));

    private static JobConfig Loads(string extra) => JobConfigLoader.Parse(TestConfigs.Minimal(extra), "job.yaml", [], Path.GetTempPath()).Config;

    [Theory]
    [InlineData("max_world_size: 2147483647\n", "max_world_size", "2147483647 is out of range")]
    [InlineData("world_size: 5000\n", "world_size", "5000 is out of range; expected a whole number in [1, 4096]")]
    [InlineData("gradient_accumulation_steps: 2000000000\n", "gradient_accumulation_steps", "out of range; expected a whole number in [1, 1000000]")]
    [InlineData("per_device_train_batch_size: 100000\n", "per_device_train_batch_size", "out of range; expected a whole number in [1, 65536]")]
    [InlineData("cutoff_len: 2147483647\n", "cutoff_len", "out of range; expected a whole number in [1, 1048576]")]
    public void SizesBeyondTheSaneBoundsNameTheKey(string extra, string key, string problem)
    {
        var ex = Fails(extra);
        Assert.Equal(key, ex.Key);
        Assert.Contains(problem, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void AGlobalBatchThatWouldOverflowIsRefusedWithItsProduct()
    {
        // 65536 x 1000000 x 4096 overflows an int many times over; it is computed as a long and refused.
        var ex = Fails("per_device_train_batch_size: 65536\ngradient_accumulation_steps: 1000000\nworld_size: 4096\n");
        Assert.Equal("gradient_accumulation_steps", ex.Key);
        Assert.Contains("is a global batch of 268435456000000 samples; accepted: at most 16777216", ex.Message);
    }

    [Fact]
    public void MoreRanksThanTheGlobalBatchHasSamplesIsRefused()
    {
        var ex = Fails("per_device_train_batch_size: 8\ngradient_accumulation_steps: 1\nworld_size: 3\nmax_world_size: 100\n");
        Assert.Equal("max_world_size", ex.Key);
        Assert.Contains("100 is more ranks than the global batch has samples", ex.Message);
        Assert.Contains("accepted: at most 24", ex.Message);
    }

    [Fact]
    public void AMinWorldSizeThatDoesNotDivideTheGlobalBatchIsRefused()
    {
        // 4 x 1 x 6 = 24 samples: 5 ranks cannot share them, so min_world_size 5 can never be what the job runs on.
        var ex = Fails("per_device_train_batch_size: 4\nworld_size: 6\nmin_world_size: 5\n");
        Assert.Equal("min_world_size", ex.Key);
        Assert.Contains("5 can never be reached", ex.Message);
        Assert.Contains("splits evenly only over 1, 2, 3, 4, 6, 8, 12, 24 rank(s); accepted in [5, 6]: 6", ex.Message);
    }

    [Fact]
    public void TheDemoShapeWithAnElasticRangeIsAccepted()
    {
        var config = Loads("per_device_train_batch_size: 8\nworld_size: 3\nmin_world_size: 2\n");
        Assert.Equal(24, config.GlobalBatchSize);
        Assert.Equal((2, 3), config.WorldRange);
    }
}
