namespace Athanor.Jobs;

/// <summary>A job that cannot start as configured; the message names the key or file and what would work.</summary>
public sealed class JobException(string message, Exception? inner = null) : Exception(message, inner);
