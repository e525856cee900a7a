namespace Athanor.Models;

/// <summary>A model folder, config.json or weight file that Athanor cannot use; the message names the file, the value and what is accepted.</summary>
public sealed class ModelFormatException(string message, Exception? inner = null) : Exception(message, inner);
