namespace Athanor.Export;

/// <summary>An export that cannot run as asked; the message names the folder or flag, the value and what is accepted.</summary>
public sealed class ExportException(string message, Exception? inner = null) : ArgumentException(message, inner);
