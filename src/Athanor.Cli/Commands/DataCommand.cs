namespace Athanor.Cli.Commands;

/// <summary>`cluster data SUBCOMMAND ...`: tokenize, render and preview, the data tools around training.</summary>
public sealed class DataCommand : ICommand
{
    private static readonly ICommand[] Subcommands = [new DataTokenizeCommand(), new DataRenderCommand(), new DataPreviewCommand()];

    public string Name => "data";
    public string Summary => "tokenize or render JSONL files, preview a job's training samples";
    public string Usage => "usage: cluster data SUBCOMMAND [ARGS]\n\n" + string.Join("\n\n", Subcommands.Select(s => s.Usage));

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        if (args.Count == 0)
            throw new UsageException($"cluster data: missing subcommand; accepted: {string.Join(", ", Subcommands.Select(s => s.Name))}");
        var sub = Subcommands.FirstOrDefault(s => s.Name == args[0])
            ?? throw new UsageException($"cluster data: unknown subcommand '{args[0]}'; accepted: {string.Join(", ", Subcommands.Select(s => s.Name))}");
        return sub.Run(args.Skip(1).ToList(), cancel);
    }

    /// <summary>The value of a flag the subcommand cannot run without.</summary>
    internal static string Required(ArgumentReader reader, string command, string flag, string what) =>
        reader.One(flag) ?? throw new UsageException($"{command}: missing {flag} {what}");

    /// <summary>--tokenizer of the data commands: `byte` (built in) or a tokenizer folder.</summary>
    internal static Athanor.Tokenization.ITokenizer LoadTokenizer(string dir) =>
        dir == "byte" ? new Athanor.Tokenization.ByteTokenizer() : Athanor.Tokenization.HfTokenizer.FromFolder(dir);

    /// <summary>--workers: a whole number >= 1; absent = every core.</summary>
    internal static int Workers(ArgumentReader reader, string command)
    {
        var text = reader.One("--workers");
        if (text is null) return Environment.ProcessorCount;
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= 1
            ? n
            : throw new UsageException($"{command}: --workers '{text}' is not accepted; expected a whole number >= 1");
    }

    /// <summary>Writes through a temporary file renamed over <paramref name="path"/> on success, or to stdout when null,
    /// so a failed run never leaves a half-written output that looks complete.</summary>
    internal static T WriteOutput<T>(string? path, Func<TextWriter, T> write)
    {
        if (path is null)
        {
            var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
            try { return write(stdout); }
            finally { stdout.Flush(); }
        }
        var full = Path.GetFullPath(path);
        if (!Athanor.IO.FileKind.IsRegularOrMissing(full))
        {
            // A device or pipe (/dev/null, a FIFO): write straight into it, never rename over it.
            using var direct = new StreamWriter(full, append: true, new System.Text.UTF8Encoding(false), 1 << 16);
            return write(direct);
        }
        var temp = full + $".tmp-{Environment.ProcessId}";
        try
        {
            T result;
            using (var writer = new StreamWriter(temp, append: false, new System.Text.UTF8Encoding(false), 1 << 16))
                result = write(writer);
            File.Move(temp, full, overwrite: true);
            return result;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
