namespace Athanor.Fp8;

/// <summary>One projection's fp8 GEMMs: the backend that runs them and the monitor slots of its three operands.</summary>
public sealed record Fp8Site(string Name, IFp8Backend Backend, Fp8AmaxMonitor Monitor, int InputSlot, int WeightSlot, int GradientSlot);
