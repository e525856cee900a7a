namespace Athanor.Templates.Jinja;

// ---- Expressions ----

internal abstract record Expr(int Line);

internal sealed record LiteralExpr(object? Value, int Line) : Expr(Line);

internal sealed record NameExpr(string Name, int Line) : Expr(Line);

internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Line) : Expr(Line);

internal sealed record TupleExpr(IReadOnlyList<Expr> Items, int Line) : Expr(Line);

internal sealed record DictExpr(IReadOnlyList<(Expr Key, Expr Value)> Pairs, int Line) : Expr(Line);

internal sealed record AttrExpr(Expr Target, string Name, int Line) : Expr(Line);

internal sealed record ItemExpr(Expr Target, Expr Index, int Line) : Expr(Line);

internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line);

internal sealed record CallArgs(IReadOnlyList<Expr> Positional, IReadOnlyList<(string Name, Expr Value)> Keyword)
{
    public static readonly CallArgs None = new(Array.Empty<Expr>(), Array.Empty<(string, Expr)>());
}

internal sealed record CallExpr(Expr Callee, CallArgs Args, int Line) : Expr(Line);

internal sealed record FilterExpr(Expr Value, string Name, CallArgs Args, int Line) : Expr(Line);

internal sealed record TestExpr(Expr Value, string Name, CallArgs Args, bool Negated, int Line) : Expr(Line);

internal sealed record UnaryExpr(string Op, Expr Operand, int Line) : Expr(Line);

internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Line) : Expr(Line);

internal sealed record CompareExpr(Expr First, IReadOnlyList<(string Op, Expr Right)> Rest, int Line) : Expr(Line);

internal sealed record ConditionalExpr(Expr Condition, Expr Then, Expr? Else, int Line) : Expr(Line);

// ---- Statements ----

internal abstract record Node(int Line);

internal sealed record TextNode(string Text, int Line) : Node(Line);

internal sealed record OutputNode(Expr Value, int Line) : Node(Line);

internal sealed record IfNode(IReadOnlyList<(Expr Condition, IReadOnlyList<Node> Body)> Branches, IReadOnlyList<Node>? Else, int Line) : Node(Line);

internal sealed record ForNode(Expr Target, Expr Iterable, Expr? Filter, IReadOnlyList<Node> Body, IReadOnlyList<Node>? Else, int Line) : Node(Line);

internal sealed record SetNode(Expr Target, Expr Value, int Line) : Node(Line);

internal sealed record SetBlockNode(Expr Target, IReadOnlyList<Node> Body, IReadOnlyList<(string Name, CallArgs Args)> Filters, int Line) : Node(Line);

internal sealed record MacroParam(string Name, Expr? Default);

internal sealed record MacroNode(string Name, IReadOnlyList<MacroParam> Params, IReadOnlyList<Node> Body, int Line) : Node(Line);

internal sealed record CallBlockNode(CallExpr Call, IReadOnlyList<MacroParam> CallerParams, IReadOnlyList<Node> Body, int Line) : Node(Line);

internal sealed record FilterBlockNode(IReadOnlyList<(string Name, CallArgs Args)> Filters, IReadOnlyList<Node> Body, int Line) : Node(Line);

internal sealed record BreakNode(int Line) : Node(Line);

internal sealed record ContinueNode(int Line) : Node(Line);

/// <summary>transformers' {% generation %} block: renders its body and records the span as assistant-generated.</summary>
internal sealed record GenerationNode(IReadOnlyList<Node> Body, int Line) : Node(Line);
