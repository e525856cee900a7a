using System.Text;
using Athanor.Configuration;

namespace Athanor.Tests.Configuration;

/// <summary>Parsing and validation stop when the caller's cancellation fires (a gRPC deadline, a client that left).</summary>
public class ParseCancellationTests
{
    [Fact]
    public void ACancelledParseStopsWithOperationCanceled()
    {
        var yaml = new StringBuilder(TestConfigs.Minimal("") + "ddp_timeout: [");
        while (yaml.Length < 1_000_000) yaml.Append("[1, [2]], ");
        yaml.Append("1]\n");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            JobConfigLoader.Parse(yaml.ToString(), "job.yaml", [], new WorkingFolderPaths(Path.GetTempPath()), cancelled.Token));
        // The same text parses without the cancellation.
        Assert.NotNull(JobConfigLoader.Parse(yaml.ToString(), "job.yaml", [], new WorkingFolderPaths(Path.GetTempPath()), CancellationToken.None));
    }

    [Fact]
    public void NestingDeeperThanTheLimitIsAConfigErrorNamingIt()
    {
        var ex = Assert.Throws<ConfigException>(() =>
            JobConfigLoader.Parse(TestConfigs.Minimal("") + "ddp_timeout: " + new string('[', 100_000), "job.yaml", [], Path.GetTempPath()));
        Assert.Contains("YAML nested deeper than 64 levels", ex.Message);
    }
}
