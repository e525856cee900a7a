using System.Globalization;
using System.Text;

namespace Athanor.Templates.Jinja;

/// <summary>
/// The globals a chat template sees besides its variables: range, namespace, dict, and the two transformers adds,
/// raise_exception(message) and strftime_now(format).
/// </summary>
internal sealed class JinjaEnvironment
{
    private readonly Dictionary<string, object?> _globals = new(StringComparer.Ordinal);

    public JinjaEnvironment(Func<DateTime> now)
    {
        _globals["range"] = new JinjaCallable("range", Range);
        _globals["namespace"] = new JinjaCallable("namespace", Namespace);
        _globals["dict"] = new JinjaCallable("dict", (args, kwargs) =>
        {
            var d = args.Count > 0 && args[0] is Dictionary<string, object?> src ? new Dictionary<string, object?>(src) : new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (k, v) in kwargs) d[k] = v;
            return d;
        });
        _globals["raise_exception"] = new JinjaCallable("raise_exception", (args, _) =>
            throw new TemplateRaisedException(args.Count > 0 ? JinjaValues.ToStr(args[0]) : ""));
        _globals["strftime_now"] = new JinjaCallable("strftime_now", (args, _) =>
            Strftime(now(), args.Count > 0 ? JinjaValues.ToStr(args[0]) : throw new InvalidOperationException("strftime_now() needs a format string")));
    }

    public bool TryGetGlobal(string name, out object? value) => _globals.TryGetValue(name, out value);

    private static object? Range(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> _)
    {
        long[] n = args.Select(a => JinjaValues.TryToLong(a, out long l) ? l : throw new InvalidOperationException($"range() needs integers, got {JinjaValues.TypeName(a)}")).ToArray();
        (long start, long stop, long step) = n.Length switch
        {
            1 => (0L, n[0], 1L),
            2 => (n[0], n[1], 1L),
            3 => (n[0], n[1], n[2]),
            _ => throw new InvalidOperationException("range() takes 1 to 3 arguments"),
        };
        if (step == 0) throw new InvalidOperationException("range() arg 3 must not be zero");
        var r = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            r.Add(i);
            if (r.Count > 1_000_000) throw new InvalidOperationException("range() is too large for a template");
        }
        return r;
    }

    private static object? Namespace(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs)
    {
        var ns = new JinjaNamespace();
        if (args.Count > 0 && args[0] is Dictionary<string, object?> init)
            foreach (var (k, v) in init) ns.Attributes[k] = v;
        foreach (var (k, v) in kwargs) ns.Attributes[k] = v;
        return ns;
    }

    private static readonly string[] Days = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday" };
    private static readonly string[] Months = { "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December" };

    /// <summary>Python's datetime.strftime in the C locale for the common directives.</summary>
    public static string Strftime(DateTime t, string format)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%' || i + 1 >= format.Length)
            {
                sb.Append(c);
                continue;
            }
            char d = format[++i];
            var inv = CultureInfo.InvariantCulture;
            switch (d)
            {
                case 'd': sb.Append(t.Day.ToString("00", inv)); break;
                case 'm': sb.Append(t.Month.ToString("00", inv)); break;
                case 'Y': sb.Append(t.Year.ToString("0000", inv)); break;
                case 'y': sb.Append((t.Year % 100).ToString("00", inv)); break;
                case 'H': sb.Append(t.Hour.ToString("00", inv)); break;
                case 'I': sb.Append((t.Hour % 12 == 0 ? 12 : t.Hour % 12).ToString("00", inv)); break;
                case 'M': sb.Append(t.Minute.ToString("00", inv)); break;
                case 'S': sb.Append(t.Second.ToString("00", inv)); break;
                case 'f': sb.Append((t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", inv)); break;
                case 'p': sb.Append(t.Hour < 12 ? "AM" : "PM"); break;
                case 'b': case 'h': sb.Append(Months[t.Month - 1][..3]); break;
                case 'B': sb.Append(Months[t.Month - 1]); break;
                case 'a': sb.Append(Days[(int)t.DayOfWeek][..3]); break;
                case 'A': sb.Append(Days[(int)t.DayOfWeek]); break;
                case 'w': sb.Append((int)t.DayOfWeek); break;
                case 'j': sb.Append(t.DayOfYear.ToString("000", inv)); break;
                case 'e': sb.Append(t.Day.ToString(inv).PadLeft(2)); break;
                case 'F': sb.Append(t.ToString("yyyy-MM-dd", inv)); break;
                case 'T': sb.Append(t.ToString("HH:mm:ss", inv)); break;
                case '%': sb.Append('%'); break;
                default: sb.Append('%').Append(d); break;
            }
        }
        return sb.ToString();
    }
}
