using Athanor.Inference;
using Athanor.Templates;

namespace Athanor.Serving.Engine;

/// <summary>One id clients may name: a loaded model (the base, or the base with one adapter merged) and its chat template.</summary>
public sealed record ServedModel(string Id, InferenceModel Model, IChatTemplate? Template, string? AdapterDir);
