using System.Text;

namespace Athanor.Templates.Jinja;

/// <summary>Python's + - * / // % ** on template values (ints stay ints, / always gives a float).</summary>
internal static class JinjaArithmetic
{
    public static object? Apply(string op, object? a, object? b)
    {
        bool bothInts = JinjaValues.TryToLong(a, out long la) & JinjaValues.TryToLong(b, out long lb);
        bool bothNumbers = JinjaValues.TryToDouble(a, out double da) & JinjaValues.TryToDouble(b, out double db);
        switch (op)
        {
            case "+":
                if (bothInts) return la + lb;
                if (bothNumbers) return da + db;
                if (a is string sa && b is string sb) return sa + sb;
                if (a is List<object?> xa && b is List<object?> xb)
                {
                    var r = new List<object?>(xa.Count + xb.Count);
                    r.AddRange(xa);
                    r.AddRange(xb);
                    return r;
                }
                break;
            case "-":
                if (bothInts) return la - lb;
                if (bothNumbers) return da - db;
                break;
            case "*":
                if (bothInts) return la * lb;
                if (bothNumbers) return da * db;
                if (a is string s1 && JinjaValues.TryToLong(b, out long n1)) return Repeat(s1, n1);
                if (b is string s2 && JinjaValues.TryToLong(a, out long n2)) return Repeat(s2, n2);
                if (a is List<object?> l1 && JinjaValues.TryToLong(b, out long n3)) return RepeatList(l1, n3);
                break;
            case "/":
                if (bothNumbers)
                {
                    if (db == 0) throw new InvalidOperationException("division by zero");
                    return da / db;
                }
                break;
            case "//":
                if (bothInts)
                {
                    if (lb == 0) throw new InvalidOperationException("integer division by zero");
                    return FloorDiv(la, lb);
                }
                if (bothNumbers)
                {
                    if (db == 0) throw new InvalidOperationException("float floor division by zero");
                    return Math.Floor(da / db);
                }
                break;
            case "%":
                if (bothInts)
                {
                    if (lb == 0) throw new InvalidOperationException("integer modulo by zero");
                    return la - FloorDiv(la, lb) * lb;
                }
                if (bothNumbers)
                {
                    if (db == 0) throw new InvalidOperationException("float modulo");
                    double m = da % db;
                    return m != 0 && (m < 0) != (db < 0) ? m + db : m;
                }
                break;
            case "**":
                if (bothInts && lb >= 0)
                {
                    long r = 1;
                    for (long i = 0; i < lb; i++) r = checked(r * la);
                    return r;
                }
                if (bothNumbers) return Math.Pow(da, db);
                break;
        }
        throw new InvalidOperationException($"unsupported operand type(s) for {op}: '{JinjaValues.TypeName(a)}' and '{JinjaValues.TypeName(b)}'");
    }

    private static long FloorDiv(long a, long b)
    {
        long q = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
        return q;
    }

    private static string Repeat(string s, long n)
    {
        if (n <= 0) return "";
        var sb = new StringBuilder(s.Length * (int)n);
        for (long i = 0; i < n; i++) sb.Append(s);
        return sb.ToString();
    }

    private static List<object?> RepeatList(List<object?> l, long n)
    {
        var r = new List<object?>();
        for (long i = 0; i < n; i++) r.AddRange(l);
        return r;
    }
}
