namespace Athanor.Native.SelfTest;

/// <summary>One named GPU check: Run returns a detail line on success and throws (with the reason) on failure.</summary>
public sealed record GpuCheck(string Name, Func<string> Run);
