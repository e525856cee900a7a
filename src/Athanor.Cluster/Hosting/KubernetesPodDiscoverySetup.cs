using Akka.Actor.Setup;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// What <see cref="KubernetesPodDiscovery"/> asks the API server for, handed to the actor system as a typed setup.
/// Null paths and namespace: the service account's own files and namespace in the pod.
/// </summary>
public sealed class KubernetesPodDiscoverySetup(string labelSelector, string? podNamespace, string? caPath, string? tokenPath) : Setup
{
    public string LabelSelector { get; } = labelSelector;
    public string? Namespace { get; } = podNamespace;
    public string? CaPath { get; } = caPath;
    public string? TokenPath { get; } = tokenPath;
}
