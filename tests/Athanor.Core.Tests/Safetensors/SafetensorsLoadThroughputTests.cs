using System.Diagnostics;
using Athanor.Checkpoints.Safetensors;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Athanor.Tests.Safetensors;

/// <summary>Run alone, so other test classes do not share the two cores while it measures.</summary>
[CollectionDefinition(nameof(SafetensorsThroughputCollection), DisableParallelization = true)]
public sealed class SafetensorsThroughputCollection;

/// <summary>Writes and loads a ~200 MB checkpoint and prints the rates; only correctness is asserted.</summary>
[Collection(nameof(SafetensorsThroughputCollection))]
public class SafetensorsLoadThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public void LoadsA200MegabyteFileAndReportsThroughput()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.safetensors");
        const int count = 50; // 50 x 4 MiB of BF16 = 200 MiB
        var tensors = new List<KeyValuePair<string, Tensor>>(count);
        for (var i = 0; i < count; i++)
            tensors.Add(new($"layers.{i}.weight", torch.full(new long[] { 1024, 2048 }, i, dtype: ScalarType.BFloat16)));

        var write = Stopwatch.StartNew();
        SafetensorsWriter.Write(path, tensors, disposeInputs: true);
        write.Stop();
        var megabytes = new FileInfo(path).Length / 1e6;

        var rates = new List<string>();
        for (var pass = 1; pass <= 2; pass++)
        {
            var loaded = new List<Tensor>(count);
            var load = Stopwatch.StartNew();
            using (var file = SafetensorsFile.Open(path))
                for (var i = 0; i < count; i++)
                    loaded.Add(file.Load($"layers.{i}.weight"));
            load.Stop();
            rates.Add($"pass {pass} {megabytes / load.Elapsed.TotalSeconds:F0} MB/s ({load.ElapsedMilliseconds} ms)");

            for (var i = 0; i < count; i++)
            {
                using var expected = torch.full(new long[] { 1024, 2048 }, i, dtype: ScalarType.BFloat16);
                Assert.True(loaded[i].equal(expected).all().item<bool>(), $"layers.{i}.weight differs");
                loaded[i].Dispose();
            }
        }
        output.WriteLine($"safetensors {megabytes:F0} MB: write+fsync {megabytes / write.Elapsed.TotalSeconds:F0} MB/s; " +
                         $"load from warm page cache: {string.Join(", ", rates)}");
    }
}
