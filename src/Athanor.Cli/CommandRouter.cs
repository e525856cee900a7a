using Athanor.Checkpoints.Safetensors;
using Athanor.Cli.Commands;
using Athanor.Configuration;
using Athanor.Data.Formats;
using Athanor.Jobs;
using Athanor.Models;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Cli;

/// <summary>Dispatches `cluster COMMAND ...`, turns known failures into one readable line and an exit code.</summary>
public static class CommandRouter
{
    public static IReadOnlyList<ICommand> Commands { get; } =
    [
        new TrainCommand(),
        new EstimateCommand(),
        new BenchCommand(),
        new DoctorCommand(),
        new SubmitCommand(),
        new StatusCommand(),
        new LogsCommand(),
        new CancelCommand(),
        new ListCommand(),
        new NodesCommand(),
        new NodeCommand(),
        new ServeCommand(),
        new DataCommand(),
        new ExportCommand(),
        new GenerateCommand(),
        new ServeModelCommand(),
        new EvalCommand(),
    ];

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            PrintHelp();
            return args.Length == 0 ? ExitCodes.BadInput : ExitCodes.Ok;
        }
        if (args[0] == "--version")
        {
            Console.WriteLine($"cluster (Athanor) {typeof(CommandRouter).Assembly.GetName().Version}");
            return ExitCodes.Ok;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            Console.Error.WriteLine($"cluster: unknown command '{args[0]}'; commands: {string.Join(", ", Commands.Select(c => c.Name))}");
            return ExitCodes.BadInput;
        }
        var rest = args[1..];
        if (rest.Any(a => a is "-h" or "--help"))
        {
            Console.WriteLine(command.Usage);
            return ExitCodes.Ok;
        }
        using var cancel = new CancellationTokenSource();
        using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, ctx => { ctx.Cancel = true; cancel.Cancel(); });
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cancel.Cancel(); });
        try
        {
            RetiredVariables.Check(command.Name, Environment.GetEnvironmentVariable);
            return command.Run(rest, cancel.Token);
        }
        catch (Exception ex) when (IsBadInput(ex))
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return ExitCodes.BadInput;
        }
    }

    /// <summary>Failures caused by what the user gave us (flags, configs, files): one line, exit 2, no stack trace.</summary>
    private static bool IsBadInput(Exception ex) => ex is UsageException or ConfigException or ModelFormatException or JobException
        or SafetensorsFormatException or DatasetException or TokenizerFormatException or TemplateMismatchException or TemplateInputException
        or TemplateSpanException or JsonlFormatException
        or ArgumentException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
        or Athanor.Node.Backend.JobStateConflictException;

    private static void PrintHelp()
    {
        Console.WriteLine("cluster: Athanor, fine-tuning of Llama-family models");
        Console.WriteLine();
        Console.WriteLine("usage: cluster COMMAND [ARGS]   (cluster COMMAND --help for details)");
        Console.WriteLine();
        foreach (var c in Commands) Console.WriteLine($"  {c.Name,-10} {c.Summary}");
    }
}
