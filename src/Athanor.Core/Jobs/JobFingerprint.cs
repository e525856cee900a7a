using System.Reflection;
using System.Security.Cryptography;
using Athanor.Configuration;
using Athanor.Kernels;
using Athanor.Parallel.Agreement;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Jobs;

/// <summary>
/// One rank's fingerprint of a job attempt (<see cref="RankFingerprint"/>): the build, whether fused kernels run here,
/// every job key as this rank will use it, the model's config.json and the tokenized data's cache key. Ranks of one
/// group must agree on all of it; the kernel plan is left out on purpose: it is each GPU's own timing of the same
/// arithmetic (it changes rounding, never what is exchanged), and two GPUs of one model can time it differently.
/// </summary>
public static class JobFingerprint
{
    /// <param name="config">the job as this rank runs it (its resume folder pinned, fused_kernels as this node allows)</param>
    /// <param name="dataKey">the tokenized data's cache key (<see cref="Data.Pipeline.TokenCacheKey"/>)</param>
    /// <param name="nodeRunsFusedKernels">the node's own fused-kernels setting (cluster node --fused-kernels)</param>
    public static RankFingerprint For(JobConfig config, string dataKey, string node, int rank, bool nodeRunsFusedKernels = true)
    {
        var device = JobDevice.For(config, rank);
        var entries = new List<FingerprintEntry> { new("build", Build()), FusedKernels(config, device, nodeRunsFusedKernels) };
        foreach (var key in ConfigKeys.All)
        {
            if (!key.IsWrittenFor(config) || key.Name is "fused_kernels") continue;
            // The slot's GPU is each rank's own (cuda:0 on one node, cuda:1 on another); the kind must agree.
            string value = key.Name == "device" ? device.type.ToString().ToLowerInvariant() : key.Write!(config);
            entries.Add(new(key.Name, value));
        }
        entries.Add(new("model_config", ModelConfigHash(config.ModelNameOrPath)));
        entries.Add(new("data_cache_key", dataKey));
        return new RankFingerprint(rank, node, entries);
    }

    /// <summary>Athanor.Core's version and module id: two builds of different code never look alike.</summary>
    public static string Build()
    {
        var assembly = typeof(JobFingerprint).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        return $"{version} ({assembly.ManifestModule.ModuleVersionId.ToString("N")[..12]})";
    }

    /// <summary>
    /// Whether this rank runs fused kernels: the job's fused_kernels and, on a GPU, whether they are built here (NVRTC
    /// loaded, the driver found, the kernels compiled: a fact of the node). CPU ranks never run them; a CPU job with
    /// fused_kernels: true says true on every rank whatever NVRTC each node has, so it never fails on that.
    /// </summary>
    private static FingerprintEntry FusedKernels(JobConfig config, Device device, bool nodeRunsFusedKernels)
    {
        if (!config.FusedKernels) return new("fused_kernels", "false");
        if (!nodeRunsFusedKernels) return new("fused_kernels", "false", "switched off on this node");
        if (device.type != DeviceType.CUDA) return new("fused_kernels", "true");
        return FusedOps.IsAvailable(device, out var reason) ? new("fused_kernels", "true") : new("fused_kernels", "false", reason);
    }

    /// <summary>The first 12 hex digits of config.json's SHA-256; "none" where the model has no folder (a benchmark preset).</summary>
    private static string ModelConfigHash(string modelFolder)
    {
        var path = Path.Combine(modelFolder, "config.json");
        if (!File.Exists(path)) return "none";
        return Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)))[..12];
    }
}
