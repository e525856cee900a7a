namespace Athanor.Templates.Jinja;

/// <summary>A variable frame: the template's top level, a for loop's body or a macro call; lookups walk outwards.</summary>
internal sealed class JinjaScope
{
    private readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);
    private readonly JinjaScope? _parent;

    public JinjaScope(JinjaScope? parent) => _parent = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var s = this; s != null; s = s._parent)
            if (s._vars.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public void Set(string name, object? value) => _vars[name] = value;
}

/// <summary>A {% macro %}: parameters with defaults, a body, and the scope it was defined in.</summary>
internal sealed class JinjaMacro
{
    public string Name { get; }
    public IReadOnlyList<MacroParam> Params { get; }
    public IReadOnlyList<Node> Body { get; }
    public JinjaScope Closure { get; }

    public JinjaMacro(string name, IReadOnlyList<MacroParam> ps, IReadOnlyList<Node> body, JinjaScope closure)
    {
        Name = name;
        Params = ps;
        Body = body;
        Closure = closure;
    }
}
