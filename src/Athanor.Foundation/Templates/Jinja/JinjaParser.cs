namespace Athanor.Templates.Jinja;

/// <summary>Recursive-descent parser with jinja2's operator precedence (condexpr &lt; or &lt; and &lt; not &lt; compare &lt; +,- &lt; ~ &lt; *,/,//,% &lt; ** &lt; unary, postfix, filters, tests).</summary>
internal sealed class JinjaParser
{
    private readonly List<JinjaToken> _tokens;
    private int _i;

    private JinjaParser(List<JinjaToken> tokens) => _tokens = tokens;

    public static IReadOnlyList<Node> Parse(List<JinjaToken> tokens)
    {
        var parser = new JinjaParser(tokens);
        var body = parser.ParseBody(out string? stop);
        if (stop != null) throw new JinjaSyntaxException($"unexpected '{{% {stop} %}}' with no open block", parser.Current.Line);
        return body;
    }

    private JinjaToken Current => _tokens[_i];
    private JinjaToken Peek(int ahead = 1) => _tokens[Math.Min(_i + ahead, _tokens.Count - 1)];
    private JinjaToken Next() => _tokens[_i++];

    private JinjaSyntaxException Error(string message) => new(message, Current.Line);

    private void ExpectOperator(string op)
    {
        if (!Current.IsOperator(op)) throw Error($"expected '{op}' but found {Current}");
        _i++;
    }

    private string ExpectName()
    {
        if (Current.Kind != TokenKind.Name) throw Error($"expected a name but found {Current}");
        return Next().Value;
    }

    private void ExpectBlockEnd()
    {
        if (Current.Kind != TokenKind.BlockEnd) throw Error($"expected '%}}' but found {Current}");
        _i++;
    }

    private bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        _i++;
        return true;
    }

    private bool SkipOperator(string op)
    {
        if (!Current.IsOperator(op)) return false;
        _i++;
        return true;
    }

    // ---- Template structure ----

    /// <summary>Parses nodes until EOF or a block tag whose keyword the caller handles (returned in <paramref name="stop"/>; the tag's keyword is consumed).</summary>
    private List<Node> ParseBody(out string? stop, params string[] stopWords)
    {
        var nodes = new List<Node>();
        while (true)
        {
            var t = Current;
            switch (t.Kind)
            {
                case TokenKind.Eof:
                    stop = null;
                    return nodes;
                case TokenKind.Text:
                    _i++;
                    nodes.Add(new TextNode(t.Value, t.Line));
                    break;
                case TokenKind.VariableStart:
                    _i++;
                    var expr = ParseTuple(withCondExpr: true);
                    if (Current.Kind != TokenKind.VariableEnd) throw Error($"expected '}}}}' but found {Current}");
                    _i++;
                    nodes.Add(new OutputNode(expr, t.Line));
                    break;
                case TokenKind.BlockStart:
                    _i++;
                    if (Current.Kind != TokenKind.Name) throw Error($"expected a statement keyword after '{{%' but found {Current}");
                    string keyword = Current.Value;
                    if (Array.IndexOf(stopWords, keyword) >= 0)
                    {
                        _i++;
                        stop = keyword;
                        return nodes;
                    }
                    nodes.Add(ParseStatement());
                    break;
                default:
                    throw Error($"unexpected {t}");
            }
        }
    }

    private List<Node> ParseBodyUntil(string opener, int line, out string stop, params string[] stopWords)
    {
        var body = ParseBody(out string? s, stopWords);
        stop = s ?? throw new JinjaSyntaxException($"'{{% {opener} %}}' opened at line {line} is never closed (expected one of: {string.Join(", ", stopWords)})", line);
        return body;
    }

    private Node ParseStatement()
    {
        var t = Next();
        switch (t.Value)
        {
            case "if": return ParseIf(t.Line);
            case "for": return ParseFor(t.Line);
            case "set": return ParseSet(t.Line);
            case "macro": return ParseMacro(t.Line);
            case "call": return ParseCallBlock(t.Line);
            case "filter": return ParseFilterBlock(t.Line);
            case "break": ExpectBlockEnd(); return new BreakNode(t.Line);
            case "continue": ExpectBlockEnd(); return new ContinueNode(t.Line);
            case "generation":
            {
                ExpectBlockEnd();
                var body = ParseBodyUntil("generation", t.Line, out _, "endgeneration");
                ExpectBlockEnd();
                return new GenerationNode(body, t.Line);
            }
            default:
                throw new JinjaSyntaxException($"unknown statement '{t.Value}' (supported: if, for, set, macro, call, filter, break, continue, generation, raw)", t.Line);
        }
    }

    private Node ParseIf(int line)
    {
        var branches = new List<(Expr, IReadOnlyList<Node>)>();
        var cond = ParseTuple(withCondExpr: true);
        ExpectBlockEnd();
        while (true)
        {
            var body = ParseBodyUntil("if", line, out string stop, "elif", "else", "endif");
            branches.Add((cond, body));
            if (stop == "elif")
            {
                cond = ParseTuple(withCondExpr: true);
                ExpectBlockEnd();
                continue;
            }
            if (stop == "else")
            {
                ExpectBlockEnd();
                var elseBody = ParseBodyUntil("if", line, out _, "endif");
                ExpectBlockEnd();
                return new IfNode(branches, elseBody, line);
            }
            ExpectBlockEnd();
            return new IfNode(branches, null, line);
        }
    }

    private Node ParseFor(int line)
    {
        var target = ParseAssignTarget();
        if (!SkipName("in")) throw Error($"expected 'in' in for loop but found {Current}");
        var iterable = ParseTuple(withCondExpr: false);
        Expr? filter = null;
        if (SkipName("if")) filter = ParseExpression(withCondExpr: true);
        if (SkipName("recursive")) throw Error("recursive for loops are not supported");
        ExpectBlockEnd();
        var body = ParseBodyUntil("for", line, out string stop, "else", "endfor");
        List<Node>? elseBody = null;
        if (stop == "else")
        {
            ExpectBlockEnd();
            elseBody = ParseBodyUntil("for", line, out _, "endfor");
        }
        ExpectBlockEnd();
        return new ForNode(target, iterable, filter, body, elseBody, line);
    }

    private Expr ParseAssignTarget()
    {
        int line = Current.Line;
        var names = new List<Expr>();
        do
        {
            string name = ExpectName();
            Expr target = new NameExpr(name, line);
            if (Current.IsOperator(".") && Peek().Kind == TokenKind.Name)
            {
                _i++;
                target = new AttrExpr(target, Next().Value, line);
            }
            names.Add(target);
        } while (SkipOperator(",") && Current.Kind == TokenKind.Name);
        return names.Count == 1 ? names[0] : new TupleExpr(names, line);
    }

    private Node ParseSet(int line)
    {
        var target = ParseAssignTarget();
        if (SkipOperator("="))
        {
            var value = ParseTuple(withCondExpr: true);
            ExpectBlockEnd();
            return new SetNode(target, value, line);
        }
        var filters = new List<(string, CallArgs)>();
        while (SkipOperator("|")) filters.Add(ParseFilterNameAndArgs());
        ExpectBlockEnd();
        var body = ParseBodyUntil("set", line, out _, "endset");
        ExpectBlockEnd();
        return new SetBlockNode(target, body, filters, line);
    }

    private List<MacroParam> ParseParams()
    {
        var ps = new List<MacroParam>();
        ExpectOperator("(");
        while (!Current.IsOperator(")"))
        {
            if (ps.Count > 0) ExpectOperator(",");
            if (Current.IsOperator(")")) break;
            string name = ExpectName();
            Expr? def = SkipOperator("=") ? ParseExpression(withCondExpr: true) : null;
            ps.Add(new MacroParam(name, def));
        }
        ExpectOperator(")");
        return ps;
    }

    private Node ParseMacro(int line)
    {
        string name = ExpectName();
        var ps = ParseParams();
        ExpectBlockEnd();
        var body = ParseBodyUntil("macro", line, out _, "endmacro");
        if (Current.Kind == TokenKind.Name) _i++; // {% endmacro name %}
        ExpectBlockEnd();
        return new MacroNode(name, ps, body, line);
    }

    private Node ParseCallBlock(int line)
    {
        var callerParams = Current.IsOperator("(") ? ParseParams() : new List<MacroParam>();
        var expr = ParseExpression(withCondExpr: true);
        if (expr is not CallExpr call) throw Error("expected a macro call after '{% call %}'");
        ExpectBlockEnd();
        var body = ParseBodyUntil("call", line, out _, "endcall");
        ExpectBlockEnd();
        return new CallBlockNode(call, callerParams, body, line);
    }

    private Node ParseFilterBlock(int line)
    {
        var filters = new List<(string, CallArgs)> { ParseFilterNameAndArgs() };
        while (SkipOperator("|")) filters.Add(ParseFilterNameAndArgs());
        ExpectBlockEnd();
        var body = ParseBodyUntil("filter", line, out _, "endfilter");
        ExpectBlockEnd();
        return new FilterBlockNode(filters, body, line);
    }

    // ---- Expressions ----

    private Expr ParseTuple(bool withCondExpr)
    {
        int line = Current.Line;
        var first = ParseExpression(withCondExpr);
        if (!Current.IsOperator(",")) return first;
        var items = new List<Expr> { first };
        while (SkipOperator(","))
        {
            if (IsTupleEnd()) break;
            items.Add(ParseExpression(withCondExpr));
        }
        return new TupleExpr(items, line);
    }

    private bool IsTupleEnd() =>
        Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.Eof
        || Current.IsOperator(")") || Current.IsName("if") || Current.IsName("in");

    private Expr ParseExpression(bool withCondExpr) => withCondExpr ? ParseCondExpr() : ParseOr();

    private Expr ParseCondExpr()
    {
        var expr = ParseOr();
        while (Current.IsName("if"))
        {
            int line = Next().Line;
            var cond = ParseOr();
            Expr? otherwise = SkipName("else") ? ParseCondExpr() : null;
            expr = new ConditionalExpr(cond, expr, otherwise, line);
        }
        return expr;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            int line = Next().Line;
            left = new BinaryExpr("or", left, ParseAnd(), line);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            int line = Next().Line;
            left = new BinaryExpr("and", left, ParseNot(), line);
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            int line = Next().Line;
            return new UnaryExpr("not", ParseNot(), line);
        }
        return ParseCompare();
    }

    private static readonly HashSet<string> CompareOps = new() { "==", "!=", "<", ">", "<=", ">=" };

    private Expr ParseCompare()
    {
        int line = Current.Line;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && CompareOps.Contains(Current.Value))
                rest.Add((Next().Value, ParseMath1()));
            else if (Current.IsName("in"))
            {
                _i++;
                rest.Add(("in", ParseMath1()));
            }
            else if (Current.IsName("not") && Peek().IsName("in"))
            {
                _i += 2;
                rest.Add(("notin", ParseMath1()));
            }
            else break;
        }
        return rest.Count == 0 ? first : new CompareExpr(first, rest, line);
    }

    private Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var op = Next();
            left = new BinaryExpr(op.Value, left, ParseConcat(), op.Line);
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseMath2();
        while (Current.IsOperator("~"))
        {
            int line = Next().Line;
            left = new BinaryExpr("~", left, ParseMath2(), line);
        }
        return left;
    }

    private Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.IsOperator("*") || Current.IsOperator("/") || Current.IsOperator("//") || Current.IsOperator("%"))
        {
            var op = Next();
            left = new BinaryExpr(op.Value, left, ParsePow(), op.Line);
        }
        return left;
    }

    private Expr ParsePow()
    {
        var left = ParseUnary(withFilter: true);
        while (Current.IsOperator("**"))
        {
            int line = Next().Line;
            left = new BinaryExpr("**", left, ParseUnary(withFilter: true), line);
        }
        return left;
    }

    private Expr ParseUnary(bool withFilter)
    {
        Expr node;
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var op = Next();
            node = new UnaryExpr(op.Value, ParseUnary(withFilter: false), op.Line);
        }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpr(node) : node;
    }

    private Expr ParsePrimary()
    {
        var t = Current;
        switch (t.Kind)
        {
            case TokenKind.Name:
                _i++;
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(true, t.Line),
                    "false" or "False" => new LiteralExpr(false, t.Line),
                    "none" or "None" => new LiteralExpr(null, t.Line),
                    _ => new NameExpr(t.Value, t.Line),
                };
            case TokenKind.String:
            {
                _i++;
                string s = t.Value;
                while (Current.Kind == TokenKind.String) s += Next().Value; // adjacent literals concatenate
                return new LiteralExpr(s, t.Line);
            }
            case TokenKind.Integer:
                _i++;
                return new LiteralExpr(t.IntValue, t.Line);
            case TokenKind.Float:
                _i++;
                return new LiteralExpr(t.FloatValue, t.Line);
            case TokenKind.Operator when t.Value == "(":
            {
                _i++;
                if (SkipOperator(")")) return new TupleExpr(Array.Empty<Expr>(), t.Line);
                var inner = ParseExpression(withCondExpr: true);
                if (Current.IsOperator(","))
                {
                    var items = new List<Expr> { inner };
                    while (SkipOperator(","))
                    {
                        if (Current.IsOperator(")")) break;
                        items.Add(ParseExpression(withCondExpr: true));
                    }
                    inner = new TupleExpr(items, t.Line);
                }
                ExpectOperator(")");
                return inner;
            }
            case TokenKind.Operator when t.Value == "[":
            {
                _i++;
                var items = new List<Expr>();
                while (!Current.IsOperator("]"))
                {
                    if (items.Count > 0) ExpectOperator(",");
                    if (Current.IsOperator("]")) break;
                    items.Add(ParseExpression(withCondExpr: true));
                }
                ExpectOperator("]");
                return new ListExpr(items, t.Line);
            }
            case TokenKind.Operator when t.Value == "{":
            {
                _i++;
                var pairs = new List<(Expr, Expr)>();
                while (!Current.IsOperator("}"))
                {
                    if (pairs.Count > 0) ExpectOperator(",");
                    if (Current.IsOperator("}")) break;
                    var key = ParseExpression(withCondExpr: true);
                    ExpectOperator(":");
                    pairs.Add((key, ParseExpression(withCondExpr: true)));
                }
                ExpectOperator("}");
                return new DictExpr(pairs, t.Line);
            }
            default:
                throw Error($"unexpected {t} in expression");
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator(".") )
            {
                int line = Next().Line;
                if (Current.Kind == TokenKind.Name) node = new AttrExpr(node, Next().Value, line);
                else if (Current.Kind == TokenKind.Integer) node = new ItemExpr(node, new LiteralExpr(Next().IntValue, line), line);
                else throw Error($"expected an attribute name after '.' but found {Current}");
            }
            else if (Current.IsOperator("[")) node = ParseSubscript(node);
            else if (Current.IsOperator("(")) node = new CallExpr(node, ParseCallArgs(), Current.Line);
            else return node;
        }
    }

    private Expr ParseSubscript(Expr target)
    {
        int line = Next().Line; // '['
        Expr? start = null, stop = null, step = null;
        bool isSlice = false;
        if (!Current.IsOperator(":")) start = ParseExpression(withCondExpr: true);
        if (SkipOperator(":"))
        {
            isSlice = true;
            if (!Current.IsOperator(":") && !Current.IsOperator("]")) stop = ParseExpression(withCondExpr: true);
            if (SkipOperator(":") && !Current.IsOperator("]")) step = ParseExpression(withCondExpr: true);
        }
        ExpectOperator("]");
        if (isSlice) return new SliceExpr(target, start, stop, step, line);
        return new ItemExpr(target, start!, line);
    }

    private CallArgs ParseCallArgs()
    {
        ExpectOperator("(");
        var positional = new List<Expr>();
        var keyword = new List<(string, Expr)>();
        while (!Current.IsOperator(")"))
        {
            if (positional.Count + keyword.Count > 0) ExpectOperator(",");
            if (Current.IsOperator(")")) break;
            if (Current.Kind == TokenKind.Name && Peek().IsOperator("="))
            {
                string name = Next().Value;
                _i++;
                keyword.Add((name, ParseExpression(withCondExpr: true)));
            }
            else
            {
                if (keyword.Count > 0) throw Error("a positional argument follows a keyword argument");
                positional.Add(ParseExpression(withCondExpr: true));
            }
        }
        ExpectOperator(")");
        return new CallArgs(positional, keyword);
    }

    private (string Name, CallArgs Args) ParseFilterNameAndArgs()
    {
        string name = ExpectName();
        while (Current.IsOperator(".") && Peek().Kind == TokenKind.Name)
        {
            _i++;
            name += "." + Next().Value;
        }
        var args = Current.IsOperator("(") ? ParseCallArgs() : CallArgs.None;
        return (name, args);
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                int line = Next().Line;
                var (name, args) = ParseFilterNameAndArgs();
                node = new FilterExpr(node, name, args, line);
            }
            else if (Current.IsName("is"))
            {
                int line = Next().Line;
                bool negated = SkipName("not");
                string name = ExpectName();
                CallArgs args = CallArgs.None;
                if (Current.IsOperator("(")) args = ParseCallArgs();
                else if (StartsTestArgument())
                    args = new CallArgs(new[] { ParsePostfix(ParsePrimary()) }, Array.Empty<(string, Expr)>());
                node = new TestExpr(node, name, args, negated, line);
            }
            else if (Current.IsOperator("(")) node = new CallExpr(node, ParseCallArgs(), Current.Line);
            else return node;
        }
    }

    // `x is divisibleby 3` / `x is sameas false`: a bare argument follows the test name.
    private bool StartsTestArgument()
    {
        var t = Current;
        if (t.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float) return true;
        if (t.Kind == TokenKind.Name) return t.Value is not ("else" or "or" or "and" or "if" or "in" or "not" or "is");
        return t.IsOperator("[") || t.IsOperator("{");
    }
}
