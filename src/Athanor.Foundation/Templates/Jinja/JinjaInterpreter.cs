using System.Text;

namespace Athanor.Templates.Jinja;

/// <summary>Walks the parsed template and writes its output; one instance renders once.</summary>
internal sealed class JinjaInterpreter
{
    private enum Flow { Normal, Break, Continue }

    private readonly StringBuilder _root = new();
    private StringBuilder _out;
    private readonly List<(int Start, int End)> _generationSpans = new();
    private readonly JinjaEnvironment _env;

    public JinjaInterpreter(JinjaEnvironment env)
    {
        _env = env;
        _out = _root;
    }

    public IReadOnlyList<(int Start, int End)> GenerationSpans => _generationSpans;

    public string Run(IReadOnlyList<Node> nodes, JinjaScope scope)
    {
        ExecBody(nodes, scope);
        return _root.ToString();
    }

    // ---- Statements ----

    private Flow ExecBody(IReadOnlyList<Node> nodes, JinjaScope scope)
    {
        foreach (var node in nodes)
        {
            var flow = Exec(node, scope);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow Exec(Node node, JinjaScope scope)
    {
        try
        {
            switch (node)
            {
                case TextNode t:
                    _out.Append(t.Text);
                    return Flow.Normal;
                case OutputNode o:
                    _out.Append(JinjaValues.ToStr(Eval(o.Value, scope)));
                    return Flow.Normal;
                case IfNode i:
                    foreach (var (cond, body) in i.Branches)
                        if (JinjaValues.Truthy(Eval(cond, scope))) return ExecBody(body, scope);
                    return i.Else != null ? ExecBody(i.Else, scope) : Flow.Normal;
                case ForNode f:
                    ExecFor(f, scope);
                    return Flow.Normal;
                case SetNode s:
                    Assign(s.Target, Eval(s.Value, scope), scope);
                    return Flow.Normal;
                case SetBlockNode sb:
                {
                    object? value = Capture(sb.Body, scope);
                    foreach (var (name, args) in sb.Filters) value = ApplyFilter(name, value, args, scope, sb.Line);
                    Assign(sb.Target, value, scope);
                    return Flow.Normal;
                }
                case MacroNode m:
                    scope.Set(m.Name, new JinjaMacro(m.Name, m.Params, m.Body, scope));
                    return Flow.Normal;
                case CallBlockNode c:
                    ExecCallBlock(c, scope);
                    return Flow.Normal;
                case FilterBlockNode fb:
                {
                    object? value = Capture(fb.Body, scope);
                    foreach (var (name, args) in fb.Filters) value = ApplyFilter(name, value, args, scope, fb.Line);
                    _out.Append(JinjaValues.ToStr(value));
                    return Flow.Normal;
                }
                case BreakNode:
                    return Flow.Break;
                case ContinueNode:
                    return Flow.Continue;
                case GenerationNode g:
                {
                    int start = _out.Length;
                    var flow = ExecBody(g.Body, scope);
                    if (ReferenceEquals(_out, _root)) _generationSpans.Add((start, _out.Length));
                    return flow;
                }
                default:
                    throw new JinjaRenderException($"unknown node {node.GetType().Name}", node.Line);
            }
        }
        catch (InvalidOperationException e)
        {
            throw new JinjaRenderException(e.Message, node.Line, e);
        }
    }

    private string Capture(IReadOnlyList<Node> body, JinjaScope scope)
    {
        var saved = _out;
        _out = new StringBuilder();
        try
        {
            ExecBody(body, scope);
            return _out.ToString();
        }
        finally
        {
            _out = saved;
        }
    }

    private void ExecFor(ForNode f, JinjaScope outer)
    {
        var iterable = Eval(f.Iterable, outer);
        if (iterable is null) throw new InvalidOperationException("'NoneType' object is not iterable");
        var source = JinjaValues.Iterate(iterable);
        var scope = new JinjaScope(outer);
        List<object?> items = source;
        if (f.Filter != null)
        {
            items = new List<object?>();
            foreach (var item in source)
            {
                Assign(f.Target, item, scope);
                if (JinjaValues.Truthy(Eval(f.Filter, scope))) items.Add(item);
            }
        }

        int n = items.Count;
        for (int i = 0; i < n; i++)
        {
            scope.Set("loop", MakeLoop(items, i));
            Assign(f.Target, items[i], scope);
            if (ExecBody(f.Body, scope) == Flow.Break) break;
        }
        if (n == 0 && f.Else != null) ExecBody(f.Else, scope);
    }

    private static Dictionary<string, object?> MakeLoop(List<object?> items, int i)
    {
        int n = items.Count;
        return new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["index"] = (long)(i + 1),
            ["index0"] = (long)i,
            ["revindex"] = (long)(n - i),
            ["revindex0"] = (long)(n - i - 1),
            ["first"] = i == 0,
            ["last"] = i == n - 1,
            ["length"] = (long)n,
            ["depth"] = 1L,
            ["depth0"] = 0L,
            ["previtem"] = i > 0 ? items[i - 1] : new JinjaUndefined("previtem"),
            ["nextitem"] = i < n - 1 ? items[i + 1] : new JinjaUndefined("nextitem"),
            ["cycle"] = new JinjaCallable("cycle", (args, _) =>
                args.Count == 0 ? throw new InvalidOperationException("no items for cycling given") : args[i % args.Count]),
        };
    }

    private void Assign(Expr target, object? value, JinjaScope scope)
    {
        switch (target)
        {
            case NameExpr n:
                scope.Set(n.Name, value);
                break;
            case TupleExpr t:
            {
                var items = value is List<object?> l ? l : JinjaValues.Iterate(value);
                if (items.Count != t.Items.Count)
                    throw new InvalidOperationException($"cannot unpack {items.Count} values into {t.Items.Count} names");
                for (int i = 0; i < items.Count; i++) Assign(t.Items[i], items[i], scope);
                break;
            }
            case AttrExpr a:
            {
                var obj = Eval(a.Target, scope);
                if (obj is not JinjaNamespace ns)
                    throw new InvalidOperationException($"cannot assign attribute '{a.Name}' on a {JinjaValues.TypeName(obj)}; only namespace() objects accept attribute assignment");
                ns.Attributes[a.Name] = value;
                break;
            }
            default:
                throw new InvalidOperationException("cannot assign to this expression");
        }
    }

    private void ExecCallBlock(CallBlockNode c, JinjaScope scope)
    {
        var callee = Eval(c.Call.Callee, scope);
        if (callee is not JinjaMacro macro) throw new InvalidOperationException("{% call %} needs a macro");
        var caller = new JinjaMacro("caller", c.CallerParams, c.Body, scope);
        var (args, kwargs) = EvalArgs(c.Call.Args, scope);
        _out.Append(CallMacro(macro, args, kwargs, caller));
    }

    // ---- Expressions ----

    public object? Eval(Expr expr, JinjaScope scope)
    {
        switch (expr)
        {
            case LiteralExpr l:
                return l.Value;
            case NameExpr n:
                if (scope.TryGet(n.Name, out var v)) return v;
                return _env.TryGetGlobal(n.Name, out var g) ? g : new JinjaUndefined(n.Name);
            case ListExpr list:
            {
                var result = new List<object?>(list.Items.Count);
                foreach (var item in list.Items) result.Add(Eval(item, scope));
                return result;
            }
            case TupleExpr tuple:
            {
                var result = new List<object?>(tuple.Items.Count);
                foreach (var item in tuple.Items) result.Add(Eval(item, scope));
                return result;
            }
            case DictExpr dict:
            {
                var result = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, val) in dict.Pairs)
                {
                    var key = Eval(k, scope);
                    if (key is not string ks) throw new InvalidOperationException($"dictionary keys must be strings here, got {JinjaValues.TypeName(key)}");
                    result[ks] = Eval(val, scope);
                }
                return result;
            }
            case AttrExpr a:
                return GetAttr(Eval(a.Target, scope), a.Name, a.Target);
            case ItemExpr it:
                return GetItem(Eval(it.Target, scope), Eval(it.Index, scope), it.Target);
            case SliceExpr s:
                return JinjaMethods.Slice(Eval(s.Target, scope), OptLong(s.Start, scope), OptLong(s.Stop, scope), OptLong(s.Step, scope));
            case CallExpr c:
                return EvalCall(c, scope);
            case FilterExpr f:
                return ApplyFilter(f.Name, Eval(f.Value, scope), f.Args, scope, f.Line);
            case TestExpr t:
            {
                var (args, kwargs) = EvalArgs(t.Args, scope);
                bool r = JinjaTests.Run(t.Name, Eval(t.Value, scope), args, kwargs, _env);
                return t.Negated ? !r : r;
            }
            case UnaryExpr u:
                return EvalUnary(u, scope);
            case BinaryExpr b:
                return EvalBinary(b, scope);
            case CompareExpr cmp:
                return EvalCompare(cmp, scope);
            case ConditionalExpr ce:
                return JinjaValues.Truthy(Eval(ce.Condition, scope))
                    ? Eval(ce.Then, scope)
                    : ce.Else != null ? Eval(ce.Else, scope) : new JinjaUndefined("conditional expression");
            default:
                throw new JinjaRenderException($"unknown expression {expr.GetType().Name}", expr.Line);
        }
    }

    private long? OptLong(Expr? e, JinjaScope scope)
    {
        if (e == null) return null;
        var v = Eval(e, scope);
        if (v is null) return null;
        if (JinjaValues.TryToLong(v, out long l)) return l;
        throw new InvalidOperationException($"slice indices must be integers or None, not {JinjaValues.TypeName(v)}");
    }

    private static string Describe(Expr e) => e switch
    {
        NameExpr n => n.Name,
        AttrExpr a => Describe(a.Target) + "." + a.Name,
        ItemExpr i => Describe(i.Target) + "[...]",
        _ => "value",
    };

    public static object? GetAttr(object? obj, string name, Expr? source = null)
    {
        switch (obj)
        {
            case Dictionary<string, object?> d:
                if (d.TryGetValue(name, out var v)) return v;
                return (object?)JinjaMethods.TryBind(d, name) ?? new JinjaUndefined(name);
            case JinjaNamespace ns:
                return ns.Attributes.TryGetValue(name, out var nv) ? nv : new JinjaUndefined(name);
            case JinjaUndefined u:
                throw new InvalidOperationException($"'{(source != null ? Describe(source) : u.Name)}' is undefined, so it has no attribute '{name}'");
            case null:
                return new JinjaUndefined(name);
            default:
                return (object?)JinjaMethods.TryBind(obj, name) ?? new JinjaUndefined(name);
        }
    }

    public static object? GetItem(object? obj, object? key, Expr? source = null)
    {
        switch (obj)
        {
            case List<object?> list when JinjaValues.TryToLong(key, out long i) && key is not bool:
                if (i < 0) i += list.Count;
                return i >= 0 && i < list.Count ? list[(int)i] : new JinjaUndefined($"[{i}]");
            case string s when JinjaValues.TryToLong(key, out long i) && key is not bool:
            {
                var chars = JinjaValues.Iterate(s);
                if (i < 0) i += chars.Count;
                return i >= 0 && i < chars.Count ? chars[(int)i] : new JinjaUndefined($"[{i}]");
            }
            case Dictionary<string, object?> d:
                return key is string k && d.TryGetValue(k, out var v) ? v : new JinjaUndefined(JinjaValues.ToStr(key));
            case JinjaNamespace ns:
                return key is string nk && ns.Attributes.TryGetValue(nk, out var nv) ? nv : new JinjaUndefined(JinjaValues.ToStr(key));
            case JinjaUndefined u:
                throw new InvalidOperationException($"'{(source != null ? Describe(source) : u.Name)}' is undefined, so it has no item {JinjaValues.Repr(key)}");
            default:
                return key is string name ? GetAttr(obj, name, source) : new JinjaUndefined(JinjaValues.ToStr(key));
        }
    }

    private (List<object?> Args, Dictionary<string, object?> Kwargs) EvalArgs(CallArgs callArgs, JinjaScope scope)
    {
        var args = new List<object?>(callArgs.Positional.Count);
        foreach (var a in callArgs.Positional) args.Add(Eval(a, scope));
        var kwargs = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in callArgs.Keyword) kwargs[name] = Eval(value, scope);
        return (args, kwargs);
    }

    private object? EvalCall(CallExpr c, JinjaScope scope)
    {
        var callee = Eval(c.Callee, scope);
        var (args, kwargs) = EvalArgs(c.Args, scope);
        switch (callee)
        {
            case JinjaCallable f:
                return f.Function(args, kwargs);
            case JinjaMacro m:
                return CallMacro(m, args, kwargs, null);
            case JinjaUndefined u:
                throw new InvalidOperationException($"'{Describe(c.Callee)}' is undefined and cannot be called" + (u.Name != Describe(c.Callee) ? $" (no '{u.Name}')" : ""));
            default:
                throw new InvalidOperationException($"'{JinjaValues.TypeName(callee)}' object is not callable");
        }
    }

    private string CallMacro(JinjaMacro m, List<object?> args, Dictionary<string, object?> kwargs, JinjaMacro? caller)
    {
        var scope = new JinjaScope(m.Closure);
        for (int i = 0; i < m.Params.Count; i++)
        {
            var p = m.Params[i];
            if (i < args.Count) scope.Set(p.Name, args[i]);
            else if (kwargs.Remove(p.Name, out var kv)) scope.Set(p.Name, kv);
            else scope.Set(p.Name, p.Default != null ? Eval(p.Default, scope) : new JinjaUndefined(p.Name));
        }
        scope.Set("varargs", args.Count > m.Params.Count ? args.GetRange(m.Params.Count, args.Count - m.Params.Count) : new List<object?>());
        scope.Set("kwargs", kwargs);
        if (caller != null)
            scope.Set("caller", new JinjaCallable("caller", (a, k) => CallMacro(caller, a.ToList(), new Dictionary<string, object?>(k), null)));
        return Capture(m.Body, scope);
    }

    private object? ApplyFilter(string name, object? value, CallArgs callArgs, JinjaScope scope, int line)
    {
        var (args, kwargs) = EvalArgs(callArgs, scope);
        return JinjaFilters.Apply(name, value, args, kwargs, _env);
    }

    private object? EvalUnary(UnaryExpr u, JinjaScope scope)
    {
        var v = Eval(u.Operand, scope);
        switch (u.Op)
        {
            case "not": return !JinjaValues.Truthy(v);
            case "-":
                if (v is double d) return -d;
                if (JinjaValues.TryToLong(v, out long l)) return -l;
                throw new InvalidOperationException($"bad operand type for unary -: '{JinjaValues.TypeName(v)}'");
            default:
                if (v is double || JinjaValues.TryToLong(v, out _)) return v is bool b ? (b ? 1L : 0L) : v;
                throw new InvalidOperationException($"bad operand type for unary +: '{JinjaValues.TypeName(v)}'");
        }
    }

    private object? EvalBinary(BinaryExpr b, JinjaScope scope)
    {
        if (b.Op == "and")
        {
            var l = Eval(b.Left, scope);
            return JinjaValues.Truthy(l) ? Eval(b.Right, scope) : l;
        }
        if (b.Op == "or")
        {
            var l = Eval(b.Left, scope);
            return JinjaValues.Truthy(l) ? l : Eval(b.Right, scope);
        }
        var left = Eval(b.Left, scope);
        var right = Eval(b.Right, scope);
        if (b.Op == "~") return JinjaValues.ToStr(left) + JinjaValues.ToStr(right);
        if (left is JinjaUndefined || right is JinjaUndefined)
        {
            var u = (JinjaUndefined)(left is JinjaUndefined ? left : right)!;
            throw new InvalidOperationException($"'{u.Name}' is undefined and cannot be used with '{b.Op}'");
        }
        return JinjaArithmetic.Apply(b.Op, left, right);
    }

    private object? EvalCompare(CompareExpr c, JinjaScope scope)
    {
        var left = Eval(c.First, scope);
        foreach (var (op, rightExpr) in c.Rest)
        {
            var right = Eval(rightExpr, scope);
            bool ok = op switch
            {
                "==" => JinjaValues.PyEquals(left, right),
                "!=" => !JinjaValues.PyEquals(left, right),
                "<" => JinjaValues.Compare(left, right, op) < 0,
                "<=" => JinjaValues.Compare(left, right, op) <= 0,
                ">" => JinjaValues.Compare(left, right, op) > 0,
                ">=" => JinjaValues.Compare(left, right, op) >= 0,
                "in" => JinjaValues.Contains(right, left),
                "notin" => !JinjaValues.Contains(right, left),
                _ => throw new InvalidOperationException($"unknown comparison {op}"),
            };
            if (!ok) return false;
            left = right;
        }
        return true;
    }
}
