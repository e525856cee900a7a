namespace Athanor.Native.SelfTest;

/// <summary>Thrown by a check that cannot run on this machine (too few GPUs, no kernels): reported as SKIP, never as a pass.</summary>
public sealed class GpuCheckSkipped(string reason) : Exception(reason);
