using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Athanor.Templates.Jinja;

/// <summary>
/// JSON in and out of template values. Output follows transformers' tojson: Python's json.dumps with
/// ensure_ascii=False (unicode kept, no HTML escaping), separators ", " / ": " (or "," / ": " with indent).
/// </summary>
public static class JinjaJson
{
    /// <summary>Turns parsed JSON into template values (objects keep their key order; integers stay integers).</summary>
    public static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => FromObject(e),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out long l) && !e.GetRawText().Contains('.') && !e.GetRawText().Contains('e') && !e.GetRawText().Contains('E')
            ? (object)l
            : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static Dictionary<string, object?> FromObject(JsonElement e)
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject()) d[p.Name] = FromJson(p.Value);
        return d;
    }

    public static object? Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return FromJson(doc.RootElement);
    }

    public static string Serialize(object? value, int? indent = null, bool sortKeys = false, string? itemSeparator = null, string? keySeparator = null)
    {
        var sb = new StringBuilder();
        string item = itemSeparator ?? (indent.HasValue ? "," : ", ");
        string key = keySeparator ?? ": ";
        Write(sb, value, indent, sortKeys, item, key, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? v, int? indent, bool sortKeys, string item, string key, int depth)
    {
        switch (v)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case int i: sb.Append(i.ToString(CultureInfo.InvariantCulture)); break;
            case double d:
                if (double.IsNaN(d)) sb.Append("NaN");
                else if (double.IsInfinity(d)) sb.Append(d > 0 ? "Infinity" : "-Infinity");
                else sb.Append(JinjaValues.FormatFloat(d));
                break;
            case string s: WriteString(sb, s); break;
            case List<object?> list:
                if (list.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(item);
                    NewLine(sb, indent, depth + 1);
                    Write(sb, list[i], indent, sortKeys, item, key, depth + 1);
                }
                NewLine(sb, indent, depth);
                sb.Append(']');
                break;
            case Dictionary<string, object?> dict: WriteObject(sb, dict, indent, sortKeys, item, key, depth); break;
            case JinjaNamespace ns: WriteObject(sb, ns.Attributes, indent, sortKeys, item, key, depth); break;
            case JinjaUndefined u: throw new InvalidOperationException($"'{u.Name}' is undefined and cannot be converted to JSON");
            default: throw new InvalidOperationException($"Object of type {JinjaValues.TypeName(v)} is not JSON serializable");
        }
    }

    private static void WriteObject(StringBuilder sb, Dictionary<string, object?> dict, int? indent, bool sortKeys, string item, string key, int depth)
    {
        if (dict.Count == 0) { sb.Append("{}"); return; }
        IEnumerable<KeyValuePair<string, object?>> pairs = sortKeys ? dict.OrderBy(p => p.Key, StringComparer.Ordinal) : dict;
        sb.Append('{');
        bool first = true;
        foreach (var (k, val) in pairs)
        {
            if (!first) sb.Append(item);
            first = false;
            NewLine(sb, indent, depth + 1);
            WriteString(sb, k);
            sb.Append(key);
            Write(sb, val, indent, sortKeys, item, key, depth + 1);
        }
        NewLine(sb, indent, depth);
        sb.Append('}');
    }

    private static void NewLine(StringBuilder sb, int? indent, int depth)
    {
        if (indent is not int n) return;
        sb.Append('\n').Append(' ', n * depth);
    }

    /// <summary>A JSON string as Python's json.dumps(ensure_ascii=False) writes it.</summary>
    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
