using TorchSharp.Modules;

namespace Athanor.Models;

/// <summary>
/// A module of ours whose parameters can be swapped for new objects (TorchSharp cannot move a meta tensor's
/// storage to a device, so a model built on the meta device gets real parameters by replacement).
/// </summary>
public interface IParameterOwner
{
    /// <param name="name">the parameter's registered name in this module ("weight", "bias")</param>
    void ReplaceParameter(string name, Parameter replacement);
}
