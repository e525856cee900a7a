using Athanor.Cli.Commands;

namespace Athanor.Cli;

/// <summary>
/// The environment variables that used to switch what ranks compute or exchange, each node on its own. They are job
/// keys now (every rank gets the job's value); a command that trains refuses to start while one is still set, so a
/// comparison run or a node set up the old way says so instead of silently training with the job's value.
/// </summary>
public static class RetiredVariables
{
    /// <summary>Variable, and what replaces it.</summary>
    public static readonly IReadOnlyList<(string Variable, string Replacement)> All =
    [
        ("ATHANOR_FUSED", "the job key fused_kernels (cluster bench: --no-fused)"),
        ("ATHANOR_ZERO3_PREFETCH", "the job key zero3_prefetch (cluster bench: --no-zero3-prefetch)"),
        ("ATHANOR_ZERO3_OVERLAP_REDUCE", "the job key zero3_overlap_reduce (cluster bench: --no-zero3-overlap-reduce)"),
        ("ATHANOR_OVERLAP_GRAD_REDUCE", "the job key overlap_grad_reduce (cluster bench: --grad-bucket-mb MB)"),
        ("ATHANOR_GRAD_BUCKET_MB", "the job key grad_bucket_mb (cluster bench: --grad-bucket-mb MB)"),
    ];

    /// <summary>The commands that train, or run nodes that do.</summary>
    public static readonly IReadOnlySet<string> Commands = new HashSet<string> { "train", "bench", "node", "serve" };

    /// <summary>Throws a one-line UsageException for the first retired variable set (to anything) in environment.</summary>
    public static void Check(string command, Func<string, string?> environment)
    {
        if (!Commands.Contains(command)) return;
        foreach (var (variable, replacement) in All)
            if (environment(variable) is string value)
                throw new UsageException($"cluster {command}: {variable}={value} is no longer read (every rank must use the job's value); " +
                    $"use {replacement} and unset {variable}");
    }
}
