using System.Diagnostics;
using Athanor.Data.Pipeline;

namespace Athanor.Cli.Commands;

/// <summary>`cluster data tokenize`: {"text": ...} lines to JSON arrays of token ids, on all cores, in input order.</summary>
public sealed class DataTokenizeCommand : ICommand
{
    private const string Command = "cluster data tokenize";

    public string Name => "tokenize";
    public string Summary => "JSONL {\"text\"} lines to token id arrays";
    public string Usage => """
        cluster data tokenize --tokenizer DIR --input FILE.jsonl [--output FILE] [--workers N]
          --tokenizer DIR   a Hugging Face tokenizer folder (tokenizer.json), or `byte` for the built-in tokenizer
          --input FILE      JSONL, one {"text": "..."} object per line
          --output FILE     where the id arrays go, one JSON array per input line (default: stdout);
                            no special tokens are added
          --workers N       threads (default: every core); the output is the same for any N
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = new ArgumentReader(Command, args, ["--tokenizer", "--input", "--output", "--workers"], []);
        reader.AtMostPositionals(0, "flags only");
        var tokenizerDir = DataCommand.Required(reader, Command, "--tokenizer", "DIR (a tokenizer folder, or `byte`)");
        var input = DataCommand.Required(reader, Command, "--input", "FILE.jsonl");
        int workers = DataCommand.Workers(reader, Command);
        var tokenizer = DataCommand.LoadTokenizer(tokenizerDir);

        var clock = Stopwatch.StartNew();
        var (lines, tokens) = DataCommand.WriteOutput(reader.One("--output"), w => ParallelJsonlTokenizer.Tokenize(tokenizer, input, w, workers));
        double s = clock.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"tokenized {lines:N0} lines, {tokens:N0} tokens in {s:F2} s ({tokens / Math.Max(s, 1e-6):N0} tokens/s, {workers} worker{(workers == 1 ? "" : "s")})");
        return ExitCodes.Ok;
    }
}
