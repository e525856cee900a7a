using Athanor.Models;

namespace Athanor.Estimation;

/// <summary>
/// The model being planned: its name, shapes and exact parameter count. With --params the count is the one given and
/// the shapes are inferred (<see cref="ShapeInferred"/>); block parameters are then adjusted so the parts add up.
/// </summary>
public sealed record ModelSpec(string Name, string Description, ModelShape Shape, long Parameters, bool ShapeInferred)
{
    /// <summary>Parameters of one decoder block (the unit ZeRO-3 gathers).</summary>
    public double BlockParameters => ShapeInferred
        ? (Parameters - Shape.EmbeddingParameters - Shape.Hidden) / (double)Shape.Layers
        : Shape.BlockParameters;

    /// <summary>Parameters of the blocks' linear layers (what QLoRA stores in 4 bits).</summary>
    public double LinearParameters => ShapeInferred
        ? Parameters - Shape.EmbeddingParameters - Shape.Hidden - (double)Shape.Layers * Shape.BlockExtras
        : (double)Shape.Layers * Shape.BlockLinearParameters;

    public static ModelSpec FromFolder(string folder)
    {
        var config = ModelConfig.Load(folder);
        var shape = ModelShape.FromConfig(config);
        return new ModelSpec(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))),
            $"{config.ModelType} from {folder}", shape, config.ParameterCount(), ShapeInferred: false);
    }

    public static ModelSpec FromParameterCount(long parameters)
    {
        var shape = ModelShape.InferLlamaLike(parameters);
        if (parameters - shape.EmbeddingParameters - shape.Hidden <= shape.Layers * shape.BlockExtras)
            throw new PlannerInputException($"--params {parameters} is too small to infer a Llama-like shape (its embeddings alone " +
                $"take {shape.EmbeddingParameters:N0}); accepted: at least 20M parameters, or --model MODEL_DIR for exact shapes");
        return new ModelSpec(Quantity.Format(parameters), "Llama-like shape inferred from --params", shape, parameters, ShapeInferred: true);
    }
}
