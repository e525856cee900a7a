using System.Text;

namespace Athanor.Templates.Jinja;

/// <summary>The Python str, dict and list methods chat templates call (read-only ones: transformers renders in an immutable sandbox).</summary>
internal static class JinjaMethods
{
    public static JinjaCallable? TryBind(object obj, string name) => obj switch
    {
        string s => BindString(s, name),
        Dictionary<string, object?> d => BindDict(d, name),
        List<object?> l => BindList(l, name),
        _ => null,
    };

    private static JinjaCallable Fn(string name, JinjaFunction f) => new(name, f);

    private static object? Arg(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, int index, string name, object? fallback = null)
    {
        if (index < args.Count) return args[index];
        return kwargs.TryGetValue(name, out var v) ? v : fallback;
    }

    private static string? CharsArg(IReadOnlyList<object?> a, IReadOnlyDictionary<string, object?> k)
    {
        var v = Arg(a, k, 0, "chars");
        return v is null or JinjaUndefined ? null : v as string ?? throw new InvalidOperationException("strip arg must be None or str");
    }

    private static JinjaCallable? BindString(string s, string name) => name switch
    {
        "startswith" => Fn(name, (a, k) => Affix(s, Arg(a, k, 0, "prefix"), start: true)),
        "endswith" => Fn(name, (a, k) => Affix(s, Arg(a, k, 0, "suffix"), start: false)),
        "strip" => Fn(name, (a, k) => Strip(s, CharsArg(a, k), left: true, right: true)),
        "lstrip" => Fn(name, (a, k) => Strip(s, CharsArg(a, k), left: true, right: false)),
        "rstrip" => Fn(name, (a, k) => Strip(s, CharsArg(a, k), left: false, right: true)),
        "split" => Fn(name, (a, k) => Split(s, Arg(a, k, 0, "sep") as string, ToLong(Arg(a, k, 1, "maxsplit", -1L)), fromRight: false)),
        "rsplit" => Fn(name, (a, k) => Split(s, Arg(a, k, 0, "sep") as string, ToLong(Arg(a, k, 1, "maxsplit", -1L)), fromRight: true)),
        "splitlines" => Fn(name, (_, _) => SplitLines(s)),
        "upper" => Fn(name, (_, _) => s.ToUpperInvariant()),
        "lower" => Fn(name, (_, _) => s.ToLowerInvariant()),
        "title" => Fn(name, (_, _) => PyTitle(s)),
        "capitalize" => Fn(name, (_, _) => Capitalize(s)),
        "replace" => Fn(name, (a, k) => Replace(s, Str(Arg(a, k, 0, "old")), Str(Arg(a, k, 1, "new")), ToLong(Arg(a, k, 2, "count", -1L)))),
        "find" => Fn(name, (a, k) => (long)s.IndexOf(Str(Arg(a, k, 0, "sub")), StringComparison.Ordinal)),
        "rfind" => Fn(name, (a, k) => (long)s.LastIndexOf(Str(Arg(a, k, 0, "sub")), StringComparison.Ordinal)),
        "count" => Fn(name, (a, k) => CountOccurrences(s, Str(Arg(a, k, 0, "sub")))),
        "join" => Fn(name, (a, k) => string.Join(s, JinjaValues.Iterate(Arg(a, k, 0, "iterable")).Select(x => x as string ?? throw new InvalidOperationException($"sequence item: expected str instance, {JinjaValues.TypeName(x)} found")))),
        "isdigit" => Fn(name, (_, _) => s.Length > 0 && s.All(char.IsDigit)),
        "isalpha" => Fn(name, (_, _) => s.Length > 0 && s.All(char.IsLetter)),
        "isalnum" => Fn(name, (_, _) => s.Length > 0 && s.All(char.IsLetterOrDigit)),
        "isspace" => Fn(name, (_, _) => s.Length > 0 && s.All(IsPySpace)),
        "isupper" => Fn(name, (_, _) => s.Any(char.IsLetter) && !s.Any(char.IsLower)),
        "islower" => Fn(name, (_, _) => s.Any(char.IsLetter) && !s.Any(char.IsUpper)),
        _ => null,
    };

    private static JinjaCallable? BindDict(Dictionary<string, object?> d, string name) => name switch
    {
        "items" => Fn(name, (_, _) => Items(d)),
        "keys" => Fn(name, (_, _) => d.Keys.Select(x => (object?)x).ToList()),
        "values" => Fn(name, (_, _) => d.Values.ToList()),
        "get" => Fn(name, (a, k) => Arg(a, k, 0, "key") is string key && d.TryGetValue(key, out var v) ? v : Arg(a, k, 1, "default")),
        _ => null,
    };

    private static JinjaCallable? BindList(List<object?> l, string name) => name switch
    {
        "index" => Fn(name, (a, k) =>
        {
            var x = Arg(a, k, 0, "value");
            int i = l.FindIndex(y => JinjaValues.PyEquals(x, y));
            return i >= 0 ? (long)i : throw new InvalidOperationException($"{JinjaValues.Repr(x)} is not in list");
        }),
        "count" => Fn(name, (a, k) => (long)l.Count(y => JinjaValues.PyEquals(Arg(a, k, 0, "value"), y))),
        "append" or "extend" or "pop" or "insert" or "remove" or "clear" or "sort" or "reverse" =>
            Fn(name, (_, _) => throw new InvalidOperationException($"list.{name}() modifies the list, which the chat-template sandbox forbids")),
        _ => null,
    };

    public static List<object?> Items(Dictionary<string, object?> d)
    {
        var r = new List<object?>(d.Count);
        foreach (var (k, v) in d) r.Add(new List<object?> { k, v });
        return r;
    }

    private static string Str(object? v) => v as string ?? throw new InvalidOperationException($"expected a string argument, got {JinjaValues.TypeName(v)}");

    private static long ToLong(object? v) => JinjaValues.TryToLong(v, out long l) ? l : v is null ? -1 : throw new InvalidOperationException($"expected an integer argument, got {JinjaValues.TypeName(v)}");

    private static bool Affix(string s, object? arg, bool start)
    {
        if (arg is List<object?> options) return options.Any(o => Affix(s, o, start));
        string a = Str(arg);
        return start ? s.StartsWith(a, StringComparison.Ordinal) : s.EndsWith(a, StringComparison.Ordinal);
    }

    /// <summary>Python's str.isspace per character (includes the \x1c-\x1f separators .NET does not count).</summary>
    public static bool IsPySpace(char c) => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');

    public static string Strip(string s, string? chars, bool left, bool right)
    {
        int start = 0, end = s.Length;
        Func<char, bool> strip = chars == null ? IsPySpace : chars.Contains;
        if (left) while (start < end && strip(s[start])) start++;
        if (right) while (end > start && strip(s[end - 1])) end--;
        return s[start..end];
    }

    public static List<object?> Split(string s, string? sep, long maxSplit, bool fromRight)
    {
        var result = new List<object?>();
        if (sep == null)
        {
            // Whitespace split: runs of whitespace separate, ends are dropped.
            var words = new List<string>();
            int i = 0;
            while (i < s.Length)
            {
                while (i < s.Length && IsPySpace(s[i])) i++;
                if (i >= s.Length) break;
                int j = i;
                while (j < s.Length && !IsPySpace(s[j])) j++;
                words.Add(s[i..j]);
                i = j;
            }
            if (maxSplit < 0 || words.Count <= maxSplit + 1) return words.Select(w => (object?)w).ToList();
            // Rare: keep the remainder unsplit.
            if (!fromRight)
            {
                int count = 0, p = 0;
                while (count < maxSplit)
                {
                    while (IsPySpace(s[p])) p++;
                    int q = p;
                    while (!IsPySpace(s[q])) q++;
                    result.Add(s[p..q]);
                    p = q;
                    count++;
                }
                result.Add(Strip(s[p..], null, left: true, right: false));
                return result;
            }
            var head = Strip(s, null, true, true);
            var tail = new List<object?>();
            for (long n = 0; n < maxSplit; n++)
            {
                int q = head.Length;
                int p = q;
                while (p > 0 && !IsPySpace(head[p - 1])) p--;
                tail.Insert(0, head[p..q]);
                head = Strip(head[..p], null, false, true);
            }
            tail.Insert(0, head);
            return tail;
        }
        if (sep.Length == 0) throw new InvalidOperationException("empty separator");
        if (!fromRight)
        {
            int pos = 0;
            long splits = 0;
            while (maxSplit < 0 || splits < maxSplit)
            {
                int at = s.IndexOf(sep, pos, StringComparison.Ordinal);
                if (at < 0) break;
                result.Add(s[pos..at]);
                pos = at + sep.Length;
                splits++;
            }
            result.Add(s[pos..]);
            return result;
        }
        int endPos = s.Length;
        long rsplits = 0;
        while (maxSplit < 0 || rsplits < maxSplit)
        {
            int at = endPos - sep.Length < 0 ? -1 : s.LastIndexOf(sep, endPos - 1, endPos, StringComparison.Ordinal);
            if (at < 0 || at + sep.Length > endPos) break;
            result.Insert(0, s[(at + sep.Length)..endPos]);
            endPos = at;
            rsplits++;
        }
        result.Insert(0, s[..endPos]);
        return result;
    }

    private static List<object?> SplitLines(string s)
    {
        var lines = new List<object?>();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] != '\n' && s[i] != '\r') continue;
            lines.Add(s[start..i]);
            if (s[i] == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
            start = i + 1;
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    private static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) return old.Length == 0 ? InsertEverywhere(s, replacement) : s.Replace(old, replacement, StringComparison.Ordinal);
        var sb = new StringBuilder();
        int pos = 0;
        for (long n = 0; n < count; n++)
        {
            int at = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (at < 0 || old.Length == 0) break;
            sb.Append(s, pos, at - pos).Append(replacement);
            pos = at + old.Length;
        }
        sb.Append(s, pos, s.Length - pos);
        return sb.ToString();
    }

    private static string InsertEverywhere(string s, string r)
    {
        var sb = new StringBuilder(r);
        foreach (char c in s) sb.Append(c).Append(r);
        return sb.ToString();
    }

    private static long CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        long n = 0;
        for (int at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    /// <summary>Python's str.title(): a letter after a non-letter is upper-cased, the rest lower-cased.</summary>
    public static string PyTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevCased = false;
        foreach (char c in s)
        {
            bool cased = char.IsUpper(c) || char.IsLower(c) || char.IsLetter(c);
            sb.Append(cased ? (prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)) : c);
            prevCased = cased;
        }
        return sb.ToString();
    }

    /// <summary>Python slicing value[start:stop:step] for lists and strings.</summary>
    public static object? Slice(object? value, long? start, long? stop, long? step)
    {
        long st = step ?? 1;
        if (st == 0) throw new InvalidOperationException("slice step cannot be zero");
        List<object?> items;
        bool isString = value is string;
        if (value is List<object?> l) items = l;
        else if (value is string s) items = JinjaValues.Iterate(s);
        else if (value is JinjaUndefined) throw new InvalidOperationException($"'{((JinjaUndefined)value).Name}' is undefined and cannot be sliced");
        else throw new InvalidOperationException($"'{JinjaValues.TypeName(value)}' object is not subscriptable");

        long n = items.Count;
        long Clamp(long? v, long dflt, long lo, long hi)
        {
            if (v is not long x) return dflt;
            if (x < 0) x += n;
            return Math.Clamp(x, lo, hi);
        }
        var result = new List<object?>();
        if (st > 0)
        {
            long a = Clamp(start, 0, 0, n), b = Clamp(stop, n, 0, n);
            for (long i = a; i < b; i += st) result.Add(items[(int)i]);
        }
        else
        {
            long a = Clamp(start, n - 1, -1, n - 1), b = Clamp(stop, -1, -1, n - 1);
            if (stop is long) b = Math.Max(b, -1);
            for (long i = a; i > b; i += st) result.Add(items[(int)i]);
        }
        if (!isString) return result;
        var sb = new StringBuilder();
        foreach (var c in result) sb.Append((string)c!);
        return sb.ToString();
    }
}
