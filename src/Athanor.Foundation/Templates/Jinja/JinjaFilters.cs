using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Athanor.Templates.Jinja;

/// <summary>jinja2's built-in filters that chat templates use, with transformers' tojson.</summary>
internal static class JinjaFilters
{
    public static readonly string[] Names =
    {
        "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float", "indent", "int", "items",
        "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round",
        "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "unique", "upper", "wordcount",
    };

    private static object? Arg(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int index, string name, object? fallback = null)
    {
        if (index < args.Count) return args[index];
        return kwargs.TryGetValue(name, out var v) ? v : fallback;
    }

    public static object? Apply(string name, object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, JinjaEnvironment env)
    {
        switch (name)
        {
            case "trim":
            {
                var chars = Arg(args, kwargs, 0, "chars");
                return JinjaMethods.Strip(JinjaValues.ToStr(value), chars as string, left: true, right: true);
            }
            case "length":
            case "count":
                return JinjaValues.Length(value);
            case "tojson":
                return ToJson(value, args, kwargs);
            case "string":
                return JinjaValues.ToStr(value);
            case "safe":
                return value;
            case "upper":
                return JinjaValues.ToStr(value).ToUpperInvariant();
            case "lower":
                return JinjaValues.ToStr(value).ToLowerInvariant();
            case "capitalize":
                return JinjaMethods.Capitalize(JinjaValues.ToStr(value));
            case "title":
                return Title(JinjaValues.ToStr(value));
            case "first":
            {
                var items = JinjaValues.Iterate(value);
                return items.Count > 0 ? items[0] : new JinjaUndefined("first");
            }
            case "last":
            {
                var items = JinjaValues.Iterate(value);
                return items.Count > 0 ? items[^1] : new JinjaUndefined("last");
            }
            case "join":
            {
                string sep = JinjaValues.ToStr(Arg(args, kwargs, 0, "d", ""));
                var attribute = Arg(args, kwargs, 1, "attribute");
                var items = JinjaValues.Iterate(value);
                if (attribute is not null and not JinjaUndefined) items = items.Select(x => Attribute(x, attribute)).ToList();
                return string.Join(sep, items.Select(JinjaValues.ToStr));
            }
            case "replace":
            {
                string s = JinjaValues.ToStr(value);
                string old = JinjaValues.ToStr(Arg(args, kwargs, 0, "old"));
                string rep = JinjaValues.ToStr(Arg(args, kwargs, 1, "new"));
                var count = Arg(args, kwargs, 2, "count");
                var replace = JinjaMethods.TryBind(s, "replace")!;
                return replace.Function(new List<object?> { old, rep, count ?? -1L }, new Dictionary<string, object?>());
            }
            case "default":
            case "d":
            {
                var fallback = Arg(args, kwargs, 0, "default_value", "");
                bool boolean = JinjaValues.Truthy(Arg(args, kwargs, 1, "boolean", false));
                return value is JinjaUndefined || (boolean && !JinjaValues.Truthy(value)) ? fallback : value;
            }
            case "items":
                return value switch
                {
                    Dictionary<string, object?> d => JinjaMethods.Items(d),
                    JinjaNamespace ns => JinjaMethods.Items(ns.Attributes),
                    JinjaUndefined => new List<object?>(),
                    _ => throw new InvalidOperationException($"can only get item pairs from a mapping, not {JinjaValues.TypeName(value)}"),
                };
            case "list":
                return new List<object?>(JinjaValues.Iterate(value));
            case "selectattr":
            case "rejectattr":
                return SelectAttr(value, args, kwargs, env, keep: name == "selectattr");
            case "select":
            case "reject":
                return Select(value, args, kwargs, env, keep: name == "select");
            case "map":
                return Map(value, args, kwargs, env);
            case "attr":
                return JinjaInterpreter.GetAttr(value, JinjaValues.ToStr(Arg(args, kwargs, 0, "name")));
            case "indent":
                return Indent(JinjaValues.ToStr(value), Arg(args, kwargs, 0, "width", 4L), JinjaValues.Truthy(Arg(args, kwargs, 1, "first", false)), JinjaValues.Truthy(Arg(args, kwargs, 2, "blank", false)));
            case "int":
                return ToInt(value, Arg(args, kwargs, 0, "default", 0L), Arg(args, kwargs, 1, "base", 10L));
            case "float":
                return ToFloat(value, Arg(args, kwargs, 0, "default", 0.0));
            case "abs":
                return value is double dv ? Math.Abs(dv) : JinjaValues.TryToLong(value, out long lv) ? (object)Math.Abs(lv) : throw new InvalidOperationException($"bad operand type for abs(): '{JinjaValues.TypeName(value)}'");
            case "round":
                return Round(value, Arg(args, kwargs, 0, "precision", 0L), JinjaValues.ToStr(Arg(args, kwargs, 1, "method", "common")));
            case "reverse":
                if (value is string rs) return new string(rs.Reverse().ToArray());
                return Enumerable.Reverse(JinjaValues.Iterate(value)).ToList();
            case "unique":
            {
                var result = new List<object?>();
                foreach (var x in JinjaValues.Iterate(value))
                    if (!result.Exists(y => JinjaValues.PyEquals(x, y))) result.Add(x);
                return result;
            }
            case "sort":
                return Sort(value, args, kwargs);
            case "dictsort":
            {
                if (value is not Dictionary<string, object?> d) throw new InvalidOperationException("dictsort needs a mapping");
                return JinjaMethods.Items(d).OrderBy(p => (string)((List<object?>)p!)[0]!, StringComparer.OrdinalIgnoreCase).ToList();
            }
            case "sum":
            {
                var attribute = Arg(args, kwargs, 0, "attribute");
                object? total = Arg(args, kwargs, 1, "start", 0L);
                foreach (var x in JinjaValues.Iterate(value))
                    total = JinjaArithmetic.Apply("+", total, attribute is null or JinjaUndefined ? x : Attribute(x, attribute));
                return total;
            }
            case "min":
            case "max":
            {
                var items = JinjaValues.Iterate(value);
                if (items.Count == 0) return new JinjaUndefined(name);
                var best = items[0];
                foreach (var x in items.Skip(1))
                {
                    int c = JinjaValues.Compare(x, best, name);
                    if (name == "min" ? c < 0 : c > 0) best = x;
                }
                return best;
            }
            case "wordcount":
                return (long)JinjaMethods.Split(JinjaValues.ToStr(value), null, -1, false).Count;
            case "escape":
            case "e":
                return Escape(JinjaValues.ToStr(value));
            default:
                throw new InvalidOperationException($"unknown filter '{name}' (supported: {string.Join(", ", Names)})");
        }
    }

    private static string ToJson(object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        var indentArg = Arg(args, kwargs, 0, "indent");
        int? indent = indentArg is null or JinjaUndefined ? null : JinjaValues.TryToLong(indentArg, out long n) ? (int)n : throw new InvalidOperationException("tojson indent must be an integer");
        string? item = null, key = null;
        if (Arg(args, kwargs, 1, "separators") is List<object?> { Count: 2 } seps)
        {
            item = JinjaValues.ToStr(seps[0]);
            key = JinjaValues.ToStr(seps[1]);
        }
        bool sortKeys = JinjaValues.Truthy(Arg(args, kwargs, 2, "sort_keys", false));
        return JinjaJson.Serialize(value, indent, sortKeys, item, key);
    }

    /// <summary>Looks up a dotted attribute path ("function.name") the way map/selectattr/join do.</summary>
    private static object? Attribute(object? item, object? attribute)
    {
        if (attribute is long idx) return JinjaInterpreter.GetItem(item, idx);
        object? current = item;
        foreach (var part in JinjaValues.ToStr(attribute).Split('.'))
        {
            if (current is JinjaUndefined) return current;
            current = int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && current is List<object?>
                ? JinjaInterpreter.GetItem(current, (long)i)
                : JinjaInterpreter.GetItem(current, part);
        }
        return current;
    }

    private static List<object?> SelectAttr(object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, JinjaEnvironment env, bool keep)
    {
        if (args.Count == 0) throw new InvalidOperationException("selectattr/rejectattr need an attribute name");
        var attribute = args[0];
        var result = new List<object?>();
        foreach (var item in JinjaValues.Iterate(value))
        {
            var v = Attribute(item, attribute);
            bool pass = args.Count > 1
                ? JinjaTests.Run(JinjaValues.ToStr(args[1]), v, args.Skip(2).ToList(), kwargs, env)
                : JinjaValues.Truthy(v);
            if (pass == keep) result.Add(item);
        }
        return result;
    }

    private static List<object?> Select(object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, JinjaEnvironment env, bool keep)
    {
        var result = new List<object?>();
        foreach (var item in JinjaValues.Iterate(value))
        {
            bool pass = args.Count > 0
                ? JinjaTests.Run(JinjaValues.ToStr(args[0]), item, args.Skip(1).ToList(), kwargs, env)
                : JinjaValues.Truthy(item);
            if (pass == keep) result.Add(item);
        }
        return result;
    }

    private static List<object?> Map(object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, JinjaEnvironment env)
    {
        var items = JinjaValues.Iterate(value);
        if (kwargs.TryGetValue("attribute", out var attribute))
        {
            bool hasDefault = kwargs.TryGetValue("default", out var fallback);
            return items.Select(x =>
            {
                var v = Attribute(x, attribute);
                return hasDefault && v is JinjaUndefined ? fallback : v;
            }).ToList();
        }
        if (args.Count == 0) throw new InvalidOperationException("map needs a filter name or attribute=...");
        string filter = JinjaValues.ToStr(args[0]);
        var rest = args.Skip(1).ToList();
        return items.Select(x => Apply(filter, x, rest, kwargs, env)).ToList();
    }

    private static readonly Regex WordBeginning = new(@"([-\s({\[<]+)", RegexOptions.Compiled);

    // jinja2's title filter: upper-case the first letter of each word, where words begin after -, whitespace or brackets.
    private static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var item in WordBeginning.Split(s))
        {
            if (item.Length == 0) continue;
            sb.Append(char.ToUpperInvariant(item[0])).Append(item[1..].ToLowerInvariant());
        }
        return sb.ToString();
    }

    // jinja2's do_indent: the text gets a newline appended before splitting, empty lines stay unindented unless blank.
    private static string Indent(string s, object? widthArg, bool first, bool blank)
    {
        string pad = widthArg is string ws ? ws : new string(' ', JinjaValues.TryToLong(widthArg, out long w) ? (int)w : 4);
        var lines = JinjaMethods.TryBind(s + "\n", "splitlines")!.Function(Array.Empty<object?>(), new Dictionary<string, object?>()) as List<object?>;
        var sb = new StringBuilder();
        for (int i = 0; i < lines!.Count; i++)
        {
            var line = (string)lines[i]!;
            if (i > 0)
            {
                sb.Append('\n');
                if (blank || line.Length > 0) sb.Append(pad);
            }
            sb.Append(line);
        }
        return first ? pad + sb : sb.ToString();
    }

    private static object? ToInt(object? value, object? fallback, object? baseArg)
    {
        switch (value)
        {
            case long or int or bool:
                JinjaValues.TryToLong(value, out long l);
                return l;
            case double d:
                return (long)Math.Truncate(d);
            case string s:
            {
                int b = JinjaValues.TryToLong(baseArg, out long bl) ? (int)bl : 10;
                string t = s.Trim().Replace("_", "");
                try
                {
                    if (b == 10)
                    {
                        if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long r)) return r;
                        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double dd)) return (long)Math.Truncate(dd);
                        return fallback;
                    }
                    return Convert.ToInt64(t, b);
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
                {
                    return fallback;
                }
            }
            default:
                return fallback;
        }
    }

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        double d => d,
        long or int or bool => JinjaValues.TryToDouble(value, out double d) ? d : fallback,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
        _ => fallback,
    };

    private static object? Round(object? value, object? precisionArg, string method)
    {
        if (!JinjaValues.TryToDouble(value, out double d)) throw new InvalidOperationException($"round needs a number, got {JinjaValues.TypeName(value)}");
        int digits = JinjaValues.TryToLong(precisionArg, out long p) ? (int)p : 0;
        double factor = Math.Pow(10, digits);
        double r = method switch
        {
            "ceil" => Math.Ceiling(d * factor) / factor,
            "floor" => Math.Floor(d * factor) / factor,
            _ => Math.Round(d, digits, MidpointRounding.ToEven),
        };
        return r;
    }

    private static List<object?> Sort(object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        bool reverse = JinjaValues.Truthy(Arg(args, kwargs, 0, "reverse", false));
        bool caseSensitive = JinjaValues.Truthy(Arg(args, kwargs, 1, "case_sensitive", false));
        var attribute = Arg(args, kwargs, 2, "attribute");
        var items = new List<object?>(JinjaValues.Iterate(value));
        object? Key(object? x)
        {
            var v = attribute is null or JinjaUndefined ? x : Attribute(x, attribute);
            return !caseSensitive && v is string s ? s.ToLowerInvariant() : v;
        }
        var sorted = items.Select((x, i) => (x, k: Key(x), i)).ToList();
        sorted.Sort((a, b) =>
        {
            int c = JinjaValues.Compare(a.k, b.k, "<");
            if (reverse) c = -c;
            return c != 0 ? c : a.i.CompareTo(b.i);
        });
        return sorted.Select(t => t.x).ToList();
    }

    private static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&#34;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}
