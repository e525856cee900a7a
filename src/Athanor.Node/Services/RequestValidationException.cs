namespace Athanor.Node.Services;

/// <summary>A request field that cannot be used (gRPC INVALID_ARGUMENT); the message starts with the field path.</summary>
public sealed class RequestValidationException(string fieldPath, string problem) : Exception($"{fieldPath}: {problem}")
{
    /// <summary>Where in the request: "name", "page_size", "config_yaml.learning_rate", "overrides.max_steps", "fields.dataset".</summary>
    public string FieldPath { get; } = fieldPath;
}
