namespace Athanor.Cli.Commands;

/// <summary>A command line that cannot be run as written (unknown flag, missing value): exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
