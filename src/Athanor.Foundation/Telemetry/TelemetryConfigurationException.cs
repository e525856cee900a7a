namespace Athanor.Telemetry;

/// <summary>A telemetry setting (an environment variable) with a value that cannot be used; the message names it and what is accepted.</summary>
public sealed class TelemetryConfigurationException(string message) : Exception(message);
