namespace Athanor.Cli.Commands;

/// <summary>One `cluster` subcommand.</summary>
public interface ICommand
{
    string Name { get; }
    string Summary { get; }
    string Usage { get; }
    int Run(IReadOnlyList<string> args, CancellationToken cancel);
}

/// <summary>Exit codes shared by every command (documented in docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadInput = 2;
    public const int Interrupted = 130;
}
