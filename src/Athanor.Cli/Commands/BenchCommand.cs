using System.Globalization;
using Athanor.Benchmarks;

namespace Athanor.Cli.Commands;

/// <summary>`cluster bench`: training steps on random tokens, comparable with bench/reference/torch_llama_bench.py.</summary>
public sealed class BenchCommand : ICommand
{
    public string Name => "bench";
    public string Summary => "time training steps on random tokens (same shapes and FLOPs as the PyTorch reference)";
    public string Usage => """
        usage: cluster bench [--preset tiny|160m|1b|3b|7b|8b] [--device cpu|cuda|cuda:N] [--lora-rank R]
                             [--grad-ckpt] [--seq N] [--batch N] [--steps N] [--warmup N] [--peak-tflops T]
                             [--no-fused] [--no-chunked-loss] [--world N] [--zero 0-3]
                             [--no-zero3-prefetch] [--no-zero3-overlap-reduce] [--grad-bucket-mb MB] [--fp8]

        Trains on random tokens with the shapes, recipe and FLOP count of the PyTorch reference
        (bench/reference/torch_llama_bench.py) and prints its last line format, then Athanor's extra keys:
          RESULT tokens_per_s_per_gpu=... mfu=... peak_mem_gib=... step_ms=... world=N preset=... ...
        The steps are a job's: the model is built and trained by the same code as `cluster train` (docs/benchmarks.md).
        On CUDA, libtorch comes from ATHANOR_LIBTORCH or the PyTorch that python3 imports. peak_mem_gib is the
        peak of device memory above the CUDA context, sampled while steps run: what the caching allocator held
        (peak_source=sampled-reserved: torch.cuda.max_memory_reserved), or with PYTORCH_NO_CUDA_MEMORY_CACHING=1
        what tensors held, rounded to the driver's pages (sampled-uncached); device_used_gib is all memory in use.
          --no-fused         plain libtorch ops instead of Athanor's fused kernels (the job key fused_kernels: false)
          --no-chunked-loss  full fp32 logits and libtorch's cross_entropy, as the reference does
          --world N          N data-parallel ranks in this process: one per GPU with --device cuda (NCCL
                             between them), or threads over a loopback ring on the CPU; --batch is per rank
          --zero S           ZeRO stage of the data-parallel optimizer (0-3; default 0); stage 3 shards every
                             decoder layer (with --grad-ckpt each layer is recomputed in backward, else its
                             activations are kept, as a job's gradient_checkpointing decides)
          --no-zero3-prefetch        ZeRO-3 without gathering the next layer ahead (zero3_prefetch: false)
          --no-zero3-overlap-reduce  ZeRO-3 reduce-scatters each layer in line (zero3_overlap_reduce: false)
          --grad-bucket-mb MB        stages 0-2 reduce gradients in buckets of MB during backward
                                     (overlap_grad_reduce: true, grad_bucket_mb: MB)
          --fp8              the decoder's projections in float8 through cuBLASLt (the job key fp8: true;
                             a CUDA GPU of compute capability 8.9 or newer; docs/fp8.md)
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var r = new ArgumentReader("cluster bench", args,
            ["--preset", "--device", "--lora-rank", "--seq", "--batch", "--steps", "--warmup", "--peak-tflops", "--world", "--zero", "--grad-bucket-mb"],
            ["--grad-ckpt", "--no-fused", "--no-chunked-loss", "--no-zero3-prefetch", "--no-zero3-overlap-reduce", "--fp8"]);
        r.AtMostPositionals(0, "no arguments besides flags");
        var device = r.One("--device") ?? "cpu";
        if (device is not ("cpu" or "cuda") && !device.StartsWith("cuda:", StringComparison.Ordinal))
            throw new UsageException($"cluster bench: --device '{device}' is not valid; accepted: cpu, cuda, cuda:N");
        var options = new BenchOptions(
            Preset: r.One("--preset") ?? "1b", Device: device,
            Seq: Int(r, "--seq", 2048, 2), Batch: Int(r, "--batch", 4, 1), Steps: Int(r, "--steps", 20, 1), Warmup: Int(r, "--warmup", 5, 1),
            LoraRank: Int(r, "--lora-rank", 0, 0),
            PeakTflops: r.One("--peak-tflops") is string t ? double.TryParse(t, CultureInfo.InvariantCulture, out var v) && v > 0 ? v
                : throw new UsageException($"cluster bench: --peak-tflops '{t}' is not a positive number") : 989.0,
            GradCkpt: r.Has("--grad-ckpt"), Fused: !r.Has("--no-fused"), ChunkedLoss: !r.Has("--no-chunked-loss"),
            World: Int(r, "--world", 1, 1), Zero: Int(r, "--zero", 0, 0),
            Zero3Prefetch: !r.Has("--no-zero3-prefetch"), Zero3OverlapReduce: !r.Has("--no-zero3-overlap-reduce"),
            GradBucketMb: r.One("--grad-bucket-mb") is string mb ? double.TryParse(mb, CultureInfo.InvariantCulture, out var size) && size is > 0 and <= 65536 ? size
                : throw new UsageException($"cluster bench: --grad-bucket-mb '{mb}' is not valid; accepted: a size in MB above 0 and at most 65536, such as 100") : null,
            Fp8: r.Has("--fp8"));
        if (options.Fp8 && device == "cpu")
            throw new UsageException("cluster bench: --fp8 is not run on CPUs; accepted: --fp8 with --device cuda or cuda:N (a GPU of compute capability 8.9 or newer)");
        if (options.Zero > 3) throw new UsageException($"cluster bench: --zero '{options.Zero}' is not valid; accepted: 0, 1, 2, 3");
        if (!BenchPresets.All.ContainsKey(options.Preset))
            throw new UsageException($"cluster bench: --preset '{options.Preset}' is not known; accepted: {string.Join(", ", BenchPresets.All.Keys)}");
        if (options.World > 1 && device.StartsWith("cuda:", StringComparison.Ordinal))
            throw new UsageException($"cluster bench: --world {options.World} puts one rank on each GPU; --device '{device}' names one; accepted: --device cuda (or cpu)");
        BenchResult result;
        try { result = TrainingBenchmark.Run(options, Console.WriteLine); }
        catch (InvalidOperationException ex)
        {
            // No CUDA libtorch, or a rank that failed: the reason in one line, not a stack trace.
            Console.Error.WriteLine($"cluster bench: {ex.Message}");
            return ExitCodes.Failed;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"params={result.Parameters / 1e9:F3}B loss={result.Loss:F3}"));
        Console.WriteLine(result.ResultLine());
        return ExitCodes.Ok;
    }

    private static int Int(ArgumentReader r, string flag, int fallback, int min) =>
        r.One(flag) is string s ? int.TryParse(s, out int v) && v >= min ? v
            : throw new UsageException($"cluster bench: {flag} '{s}' is not valid; accepted: a whole number >= {min}") : fallback;
}
