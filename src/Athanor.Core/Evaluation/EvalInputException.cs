namespace Athanor.Evaluation;

/// <summary>An evaluation input that cannot be used as given; the message names file:line, the value and what is accepted.</summary>
public sealed class EvalInputException(string message, Exception? inner = null) : ArgumentException(message, inner);
