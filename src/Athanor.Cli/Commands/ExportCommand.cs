using Athanor.Export;

namespace Athanor.Cli.Commands;

/// <summary>`cluster export`: a training checkpoint to a Hugging Face model folder or a PEFT adapter.</summary>
public sealed class ExportCommand : ICommand
{
    public string Name => "export";
    public string Summary => "turn a checkpoint into a Hugging Face model folder (or PEFT adapter)";
    public string Usage => """
        usage: cluster export --checkpoint DIR --output DIR [--merge-lora] [--dtype bf16|fp16|fp32] [--shard-size 5GB]

          --checkpoint DIR   a checkpoint-N folder, or a run's output_dir (its newest complete checkpoint)
          --output DIR       where the model folder (or adapter) is written
          --merge-lora       for a LoRA checkpoint: merge the adapter into the base model named by the run's
                             config; without it the PEFT adapter folder is written alone
          --dtype D          bf16, fp16 or fp32 (default: the base model's torch_dtype, else fp32)
          --shard-size S     largest safetensors shard: 500MB, 5GB, 2GiB or bytes (default 5GB)
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = new ArgumentReader("cluster export", args, ["--checkpoint", "--output", "--dtype", "--shard-size"], ["--merge-lora"]);
        reader.AtMostPositionals(0, "flags only (see cluster export --help)");
        var checkpoint = reader.One("--checkpoint") ?? throw new UsageException("cluster export: --checkpoint DIR is required");
        var output = reader.One("--output") ?? throw new UsageException("cluster export: --output DIR is required");
        var options = new ExportOptions(checkpoint, output, reader.Has("--merge-lora"),
            reader.One("--dtype") is string d ? ExportDtype.Parse(d) : null,
            reader.One("--shard-size") is string s ? ByteSize.Parse(s) : 5_000_000_000);
        var result = ModelExporter.Export(options, Console.WriteLine);
        Console.WriteLine(result.IsAdapter
            ? $"done: PEFT adapter in {result.OutputDir} (load it with its base model, or export again with --merge-lora)"
            : $"done: Hugging Face model in {result.OutputDir} ({ExportDtype.TorchName(result.Dtype)})");
        return ExitCodes.Ok;
    }
}
