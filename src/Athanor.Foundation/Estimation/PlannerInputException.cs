namespace Athanor.Estimation;

/// <summary>
/// A planner input that cannot be estimated (an unsupported combination, a bad price table); the message names
/// the flag or file, the value and what is accepted. An ArgumentException so the CLI reports it as bad input (exit 2).
/// </summary>
public sealed class PlannerInputException(string message) : ArgumentException(message);
