using System.Globalization;
using System.Text;

namespace Athanor.Templates.Jinja;

/// <summary>
/// jinja2's default Undefined: falsey, renders as "", iterates as empty, but attribute or item access on it fails.
/// </summary>
public sealed class JinjaUndefined
{
    public string Name { get; }

    public JinjaUndefined(string name) => Name = name;

    public override string ToString() => "";
}

/// <summary>The object namespace() returns: the one mutable thing a template may assign attributes on.</summary>
public sealed class JinjaNamespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}

/// <summary>A global function, filter-like callable or bound method: positional and keyword arguments in, a value out.</summary>
public delegate object? JinjaFunction(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs);

/// <summary>Marks a callable value so templates can call it and `is callable` can see it.</summary>
internal sealed class JinjaCallable
{
    public string Name { get; }
    public JinjaFunction Function { get; }

    public JinjaCallable(string name, JinjaFunction function)
    {
        Name = name;
        Function = function;
    }
}

/// <summary>
/// Python semantics for the values templates work with: None (null), Undefined, bool, long, double, string,
/// List&lt;object?&gt; (lists and tuples), Dictionary&lt;string, object?&gt; (insertion-ordered mappings), namespaces, callables.
/// </summary>
internal static class JinjaValues
{
    public static bool IsNumber(object? v) => v is long or double or int || v is bool;

    public static bool Truthy(object? v) => v switch
    {
        null => false,
        JinjaUndefined => false,
        bool b => b,
        long l => l != 0,
        int i => i != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        Dictionary<string, object?> dict => dict.Count > 0,
        _ => true,
    };

    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        JinjaUndefined => "Undefined",
        bool => "bool",
        long or int => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        Dictionary<string, object?> => "dict",
        JinjaNamespace => "Namespace",
        JinjaCallable or JinjaMacro => "function",
        _ => v.GetType().Name,
    };

    /// <summary>Python's str(): what {{ value }} renders.</summary>
    public static string ToStr(object? v) => v switch
    {
        string s => s,
        null => "None",
        JinjaUndefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        _ => Repr(v),
    };

    /// <summary>Python's repr(), used inside rendered lists and dicts.</summary>
    public static string Repr(object? v)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, v);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? v)
    {
        switch (v)
        {
            case string s:
                AppendStringRepr(sb, s);
                break;
            case List<object?> list:
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendRepr(sb, list[i]);
                }
                sb.Append(']');
                break;
            case Dictionary<string, object?> dict:
                sb.Append('{');
                bool first = true;
                foreach (var (k, val) in dict)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendStringRepr(sb, k);
                    sb.Append(": ");
                    AppendRepr(sb, val);
                }
                sb.Append('}');
                break;
            case JinjaNamespace ns:
                sb.Append("<Namespace ");
                AppendRepr(sb, ns.Attributes);
                sb.Append('>');
                break;
            case JinjaCallable c:
                sb.Append("<function ").Append(c.Name).Append('>');
                break;
            case JinjaMacro m:
                sb.Append("<Macro '").Append(m.Name).Append("'>");
                break;
            default:
                sb.Append(ToStr(v));
                break;
        }
    }

    private static void AppendStringRepr(StringBuilder sb, string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote) sb.Append('\\').Append(c);
                    else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append(quote);
    }

    /// <summary>Python float repr: shortest round-trip digits, always with a '.' or exponent.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOf('E');
        if (e >= 0)
        {
            // .NET writes 1E+20; Python writes 1e+20 (exponent at least two digits).
            int exp = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            return r[..e] + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        return r.Contains('.') ? r : r + ".0";
    }

    public static bool TryToDouble(object? v, out double d)
    {
        switch (v)
        {
            case long l: d = l; return true;
            case int i: d = i; return true;
            case double x: d = x; return true;
            case bool b: d = b ? 1 : 0; return true;
            default: d = 0; return false;
        }
    }

    public static bool TryToLong(object? v, out long l)
    {
        switch (v)
        {
            case long x: l = x; return true;
            case int i: l = i; return true;
            case bool b: l = b ? 1 : 0; return true;
            default: l = 0; return false;
        }
    }

    /// <summary>Python ==, where 1 == 1.0 == True and containers compare element by element.</summary>
    public static bool PyEquals(object? a, object? b)
    {
        if (a is JinjaUndefined || b is JinjaUndefined) return a is JinjaUndefined && b is JinjaUndefined;
        if (a is null || b is null) return a is null && b is null;
        if (a is string sa) return b is string sb && string.Equals(sa, sb, StringComparison.Ordinal);
        if (IsNumber(a) && IsNumber(b))
        {
            if (TryToLong(a, out long la) && TryToLong(b, out long lb)) return la == lb;
            TryToDouble(a, out double da);
            TryToDouble(b, out double db);
            return da == db;
        }
        if (a is List<object?> xa && b is List<object?> xb)
        {
            if (xa.Count != xb.Count) return false;
            for (int i = 0; i < xa.Count; i++)
                if (!PyEquals(xa[i], xb[i])) return false;
            return true;
        }
        if (a is Dictionary<string, object?> da2 && b is Dictionary<string, object?> db2)
        {
            if (da2.Count != db2.Count) return false;
            foreach (var (k, v) in da2)
                if (!db2.TryGetValue(k, out var w) || !PyEquals(v, w)) return false;
            return true;
        }
        return ReferenceEquals(a, b) || a.Equals(b);
    }

    /// <summary>Python ordering for numbers, strings (by code point) and lists; anything else is a type error.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            if (TryToLong(a, out long la) && TryToLong(b, out long lb)) return la.CompareTo(lb);
            TryToDouble(a, out double da);
            TryToDouble(b, out double db);
            return da.CompareTo(db);
        }
        if (a is string sa && b is string sb) return string.CompareOrdinal(sa, sb);
        if (a is List<object?> xa && b is List<object?> xb)
        {
            for (int i = 0; i < Math.Min(xa.Count, xb.Count); i++)
            {
                if (PyEquals(xa[i], xb[i])) continue;
                return Compare(xa[i], xb[i], op);
            }
            return xa.Count.CompareTo(xb.Count);
        }
        throw new InvalidOperationException($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    /// <summary>Python's `in`: substring, list membership or mapping key.</summary>
    public static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw new InvalidOperationException($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        List<object?> list => list.Exists(x => PyEquals(x, item)),
        Dictionary<string, object?> dict => item is string key && dict.ContainsKey(key),
        JinjaNamespace ns => item is string key && ns.Attributes.ContainsKey(key),
        JinjaUndefined => false,
        _ => throw new InvalidOperationException($"argument of type '{TypeName(container)}' is not iterable"),
    };

    /// <summary>Iteration as Python does it: list items, mapping keys, string characters; Undefined is empty.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        List<object?> list => list,
        Dictionary<string, object?> dict => dict.Keys.Select(k => (object?)k).ToList(),
        string s => TextElements(s),
        JinjaUndefined => new List<object?>(),
        _ => throw new InvalidOperationException($"'{TypeName(v)}' object is not iterable"),
    };

    // Python iterates a str by code point, so surrogate pairs stay together.
    private static List<object?> TextElements(string s)
    {
        var result = new List<object?>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                result.Add(s.Substring(i, 2));
                i++;
            }
            else result.Add(s[i].ToString());
        }
        return result;
    }

    public static long Length(object? v) => v switch
    {
        string s => CodePointCount(s),
        List<object?> list => list.Count,
        Dictionary<string, object?> dict => dict.Count,
        JinjaNamespace ns => ns.Attributes.Count,
        JinjaUndefined => 0,
        _ => throw new InvalidOperationException($"object of type '{TypeName(v)}' has no len()"),
    };

    public static int CodePointCount(string s)
    {
        int n = s.Length;
        for (int i = 0; i + 1 < s.Length; i++)
            if (char.IsHighSurrogate(s[i]) && char.IsLowSurrogate(s[i + 1])) { n--; i++; }
        return n;
    }
}
