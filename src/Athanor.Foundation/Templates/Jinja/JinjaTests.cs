namespace Athanor.Templates.Jinja;

/// <summary>jinja2's built-in tests (`x is defined`, `x is string`, `x is equalto y`...).</summary>
internal static class JinjaTests
{
    public static readonly string[] Names =
    {
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false", "float", "ge", "gt", "in",
        "integer", "iterable", "le", "lower", "lt", "mapping", "ne", "none", "number", "odd", "sameas", "sequence", "string", "true",
        "undefined", "upper", "==", "!=", "<", "<=", ">", ">=",
    };

    public static bool Run(string name, object? v, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, JinjaEnvironment env)
    {
        object? Other() => args.Count > 0 ? args[0] : kwargs.Values.FirstOrDefault() ?? throw new InvalidOperationException($"test '{name}' needs an argument");
        switch (name)
        {
            case "defined": return v is not JinjaUndefined;
            case "undefined": return v is JinjaUndefined;
            case "none": return v is null;
            case "string": return v is string;
            case "mapping": return v is Dictionary<string, object?>;
            case "iterable": return v is string or List<object?> or Dictionary<string, object?> or JinjaUndefined;
            case "sequence": return v is string or List<object?> or Dictionary<string, object?> or JinjaUndefined;
            case "number": return v is long or int or double or bool;
            case "integer": return v is long or int;
            case "float": return v is double;
            case "boolean": return v is bool;
            case "true": return v is true;
            case "false": return v is false;
            case "callable": return v is JinjaCallable or JinjaMacro;
            case "escaped": return false;
            case "lower": return v is string sl && sl == sl.ToLowerInvariant();
            case "upper": return v is string su && su == su.ToUpperInvariant();
            case "odd": return JinjaValues.TryToLong(v, out long o) ? o % 2 != 0 : throw new InvalidOperationException("test 'odd' needs an integer");
            case "even": return JinjaValues.TryToLong(v, out long e) ? e % 2 == 0 : throw new InvalidOperationException("test 'even' needs an integer");
            case "divisibleby":
            {
                var d = Other();
                return JinjaValues.TryToLong(v, out long a) && JinjaValues.TryToLong(d, out long b) ? b != 0 && a % b == 0 : throw new InvalidOperationException("test 'divisibleby' needs integers");
            }
            case "eq": case "equalto": case "==": return JinjaValues.PyEquals(v, Other());
            case "ne": case "!=": return !JinjaValues.PyEquals(v, Other());
            case "lt": case "lessthan": case "<": return JinjaValues.Compare(v, Other(), "<") < 0;
            case "le": case "<=": return JinjaValues.Compare(v, Other(), "<=") <= 0;
            case "gt": case "greaterthan": case ">": return JinjaValues.Compare(v, Other(), ">") > 0;
            case "ge": case ">=": return JinjaValues.Compare(v, Other(), ">=") >= 0;
            case "in": return JinjaValues.Contains(Other(), v);
            case "sameas":
            {
                var other = Other();
                return v is null ? other is null : v is bool bv ? other is bool bo && bv == bo : ReferenceEquals(v, other) || (v is long && JinjaValues.PyEquals(v, other) && other is long);
            }
            default:
                throw new InvalidOperationException($"unknown test '{name}' (supported: {string.Join(", ", Names)})");
        }
    }
}
