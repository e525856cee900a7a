namespace Athanor.Parallel;

/// <summary>
/// The on/off environment variables that switch a parallelism feature for comparison runs (ATHANOR_ZERO3_PREFETCH,
/// ATHANOR_ZERO3_OVERLAP_REDUCE, ATHANOR_OVERLAP_GRAD_REDUCE): unset or empty means the default, 1 on, 0 off, and
/// anything else is an error naming the variable, the value and what is accepted. Every rank of a job must agree.
/// </summary>
public static class EnvironmentSwitch
{
    public static bool Read(string name, bool defaultOn) => Parse(name, Environment.GetEnvironmentVariable(name), defaultOn);

    public static bool Parse(string name, string? value, bool defaultOn) => value switch
    {
        null or "" => defaultOn,
        "1" => true,
        "0" => false,
        _ => throw new ArgumentException($"{name} '{value}' is not valid; accepted: " +
            (defaultOn ? "1 (on, the default) or 0 (off)" : "1 (on) or 0 (off, the default)")),
    };
}
