using Athanor.Templates.Jinja;

namespace Athanor.Tests.Templates;

public class JinjaInterpreterTests
{
    private static string R(string template, object? vars = null)
    {
        var dict = vars == null
            ? new Dictionary<string, object?>()
            : (Dictionary<string, object?>)JinjaJson.Parse(System.Text.Json.JsonSerializer.Serialize(vars))!;
        return new JinjaTemplate(template) { Now = () => new DateTime(2024, 7, 26, 9, 5, 0) }.Render(dict);
    }

    [Theory]
    [InlineData("{{ 'a' ~ 1 ~ none }}", "a1None")]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }}", "3 -4 1 2 3.5 1024")]
    [InlineData("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 1.5 + 1 }} {{ 4 / 2 }}", "7 9 2.5 2.0")]
    [InlineData("{{ true }} {{ none }} {{ [1, 'a'] }} {{ {'k': \"it's\"} }}", "True None [1, 'a'] {'k': \"it's\"}")]
    [InlineData("{{ 'x' if 1 > 2 else 'y' }}{{ 'z' if false }}", "y")]
    [InlineData("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'b' in 'abc' }} {{ 2 not in [1, 3] }}", "True False True True")]
    [InlineData("{{ not 1 == 2 and (0 or 'v') }}", "v")]
    [InlineData("{{ 'abc'[::-1] }} {{ [1, 2, 3][1:] }} {{ [1, 2, 3][-1] }} {{ 'hello'[1:-1] }} {{ [1,2,3,4][::2] }}", "cba [2, 3] 3 ell [1, 3]")]
    [InlineData("{{ '  x \\n'.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}", "x|hi|['a', 'b', '', 'c']|['a', 'b']")]
    [InlineData("{{ 'Hello'.startswith('He') }} {{ 'Hello'.endswith(('x', 'lo')) }} {{ 'hello world'.title() }} {{ 'aXb'.upper() }}", "True True Hello World AXB")]
    [InlineData("{{ 'a-b-c'.replace('-', '+') }} {{ '\\n\\nx\\n'.lstrip('\\n') }} {{ 'x\\n\\n'.rstrip() }}", "a+b+c x\n x")]
    [InlineData("{{ '' != false }} {{ 0 == false }} {{ 1 == 1.0 }} {{ [1] == [1] }}", "True True True True")]
    public void EvaluatesExpressionsLikePython(string template, string expected) => Assert.Equal(expected, R(template));

    [Fact]
    public void EmptyStringIsNotEqualToFalse() =>
        // Python: '' != False. Llama 2's template relies on it to render an empty <<SYS>> block for an empty system prompt.
        Assert.Equal("<<SYS>>", R("{% set s = '' %}{% if s != false %}<<SYS>>{% endif %}"));

    [Theory]
    [InlineData("{{ '  hi  ' | trim }}|{{ [1,2,3] | length }}|{{ 'abc' | upper }}|{{ 'ABC' | lower }}|{{ 'hELLO' | capitalize }}", "hi|3|ABC|abc|Hello")]
    [InlineData("{{ [1,2,3] | first }}{{ [1,2,3] | last }}|{{ ['a','b'] | join(', ') }}|{{ 'aaa' | replace('a', 'b') }}", "13|a, b|bbb")]
    [InlineData("{{ missing | default('d') }}|{{ '' | default('e', true) }}|{{ 42 | string }}|{{ '12' | int + 1 }}|{{ 'x' | int }}", "d|e|42|13|0")]
    [InlineData("{{ {'a': 1, 'b': 2} | items | list }}|{{ 'ab' | list }}|{{ 'line1\\nline2' | indent(2) }}|{{ 'x' | indent(2, true) }}", "[['a', 1], ['b', 2]]|['a', 'b']|line1\n  line2|  x")]
    [InlineData("{{ [3,1,2] | sort }}|{{ [1,1,2] | unique | list }}|{{ [1,2] | reverse | list }}|{{ [1,2,3] | sum }}|{{ -3 | abs }}", "[1, 2, 3]|[1, 2]|[2, 1]|6|3")]
    [InlineData("{{ ['a', 'code', 'b'] | reject('equalto', 'code') | join(',') }}|{{ [1, none, 2] | select | list }}", "a,b|[1, 2]")]
    [InlineData("{{ 'hello world-foo' | title }}|{{ '<a>' | e }}|{{ 'x' | safe }}", "Hello World-Foo|&lt;a&gt;|x")]
    public void AppliesFilters(string template, string expected) => Assert.Equal(expected, R(template));

    [Fact]
    public void MapSelectattrAndRejectattrWorkOnAttributes()
    {
        var vars = new { messages = new object[] { new { role = "system", content = "s" }, new { role = "user", content = "u" }, new { role = "user", content = "v" } } };
        Assert.Equal("u,v|s|2", R("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}|{{ messages | rejectattr('role', '==', 'user') | map(attribute='content') | first }}|{{ messages | selectattr('role', 'eq', 'user') | list | length }}", vars));
    }

    [Fact]
    public void TojsonMatchesPythonJsonDumpsWithoutAsciiOrHtmlEscaping()
    {
        var vars = new { t = new { name = "天气", html = "<b>&'", n = 1, f = 1.5, list = new object?[] { true, null }, nested = new { } } };
        Assert.Equal("{\"name\": \"天气\", \"html\": \"<b>&'\", \"n\": 1, \"f\": 1.5, \"list\": [true, null], \"nested\": {}}", R("{{ t | tojson }}", vars));
        Assert.Equal("{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": \"x\\ny\"\n}", R("{{ {'a': [1, 2], 'b': 'x\\ny'} | tojson(indent=2) }}"));
        Assert.Equal("{\"a\": 1, \"b\": 2}", R("{{ {'b': 2, 'a': 1} | tojson(sort_keys=true) }}"));
    }

    [Theory]
    [InlineData("{{ x is defined }}{{ y is undefined }}{{ none is none }}{{ 's' is string }}{{ {} is mapping }}{{ [] is iterable }}{{ 's' is sequence }}", "TrueTrueTrueTrueTrueTrueTrue")]
    [InlineData("{{ 1 is number }}{{ 's' is number }}{{ true is true }}{{ false is false }}{{ 0 is false }}{{ 3 is odd }}{{ 4 is even }}{{ 6 is divisibleby 3 }}", "TrueFalseTrueTrueFalseTrueTrueTrue")]
    [InlineData("{{ 'a' is equalto 'a' }}{{ 1 is not equalto 2 }}{{ x is not none }}{{ [] is mapping }}", "TrueTrueTrueFalse")]
    public void RunsTests(string template, string expected) => Assert.Equal(expected, R(template, new { x = 1 }));

    [Fact]
    public void UndefinedIsFalseyEmptyAndIterableButAttributeAccessFails()
    {
        Assert.Equal("[][0]", R("[{{ nope }}][{{ nope | length }}]{% for x in nope %}x{% endfor %}{% if nope %}y{% endif %}"));
        Assert.Equal("", R("{{ m.missing }}", new { m = new { a = 1 } }));
        var e = Assert.Throws<JinjaRenderException>(() => R("{{ nope.attr }}"));
        Assert.Contains("nope", e.Message);
        Assert.Contains("line 1", e.Message);
    }

    [Fact]
    public void ForLoopExposesLoopVariablesElseAndFilterCondition()
    {
        Assert.Equal("0:1:T:F:3 1:2:F:F:3 2:3:F:T:3 ", R("{% for x in [5,6,7] %}{{ loop.index0 }}:{{ loop.index }}:{{ 'T' if loop.first else 'F' }}:{{ 'T' if loop.last else 'F' }}:{{ loop.length }} {% endfor %}"));
        Assert.Equal("empty", R("{% for x in [] %}x{% else %}empty{% endfor %}"));
        Assert.Equal("2,4,|1,2", R("{% for x in [1,2,3,4] if x is even %}{{ x }},{% endfor %}|{% for x in [1,2,3,4] %}{% if x > 2 %}{% break %}{% endif %}{% if not loop.first %},{% endif %}{{ x }}{% endfor %}"));
        Assert.Equal("a=1;b=2;", R("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", new { d = new { a = 1, b = 2 } }));
        Assert.Equal("a|x,y", R("{% for k in d %}{{ k }}{% endfor %}|{{ d.get('a') | join(',') }}{{ d.get('zz', '') }}", new { d = new { a = new[] { "x", "y" } } }));
    }

    [Fact]
    public void SetInsideLoopDoesNotLeakButNamespaceAttributesDo()
    {
        Assert.Equal("outer|3", R("{% set v = 'outer' %}{% set ns = namespace(count=0) %}{% for x in [1,2,3] %}{% set v = 'inner' %}{% set ns.count = ns.count + 1 %}{% endfor %}{{ v }}|{{ ns.count }}"));
        Assert.Equal("inner", R("{% set v = 'outer' %}{% if true %}{% set v = 'inner' %}{% endif %}{{ v }}"));
        Assert.Equal("AB", R("{% set a, b = ['A', 'B'] %}{{ a }}{{ b }}"));
        Assert.Equal("<x>", R("{% set block %}<{{ 'x' }}>{% endset %}{{ block }}"));
    }

    [Fact]
    public void MacrosTakeDefaultsAndKeywordArguments() =>
        Assert.Equal("[a|2][b|9]", R("{% macro m(name, n=2) %}[{{ name }}|{{ n }}]{% endmacro %}{{ m('a') }}{{ m('b', n=9) }}"));

    [Fact]
    public void WhitespaceControlFollowsTransformersSettings()
    {
        // trim_blocks drops the newline after a block tag; lstrip_blocks drops indentation before it.
        Assert.Equal("A\nB", R("{% if true %}\nA\n{% endif %}\nB\n"));
        Assert.Equal("A\n", R("  {% for x in [1] %}\n  A\n  {% endfor %}\n".Replace("  A", "A")));
        Assert.Equal("x\n", R("    {% if true %}\n{{- ' x ' | trim }}\n    {% endif %}\n"));
        Assert.Equal("axb", R("a {{- 'x' -}} b"));
        Assert.Equal("ab", R("a  {#- comment -#}  b"));
        Assert.Equal("  {{ raw }}", R("{% raw %}  {{ raw }}{% endraw %}"));
        Assert.Equal("keep\n", R("keep\n\n")); // one trailing newline is dropped (keep_trailing_newline=False)
        Assert.Equal("    A", R("    {%+ if true %}A{% endif %}"));
    }

    [Fact]
    public void RaiseExceptionAndStrftimeNowAreGlobals()
    {
        var e = Assert.Throws<TemplateRaisedException>(() => R("{{ raise_exception('roles must alternate') }}"));
        Assert.Equal("roles must alternate", e.TemplateMessage);
        Assert.Equal("26 Jul 2024|2024-07-26 09:05|Friday July", R("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M') }}|{{ strftime_now('%A %B') }}"));
    }

    [Fact]
    public void GenerationBlocksRecordAssistantSpans()
    {
        var result = new JinjaTemplate("U:{{ u }}\nA:{% generation %}{{ a }}<end>{% endgeneration %}\n").RenderWithSpans(new Dictionary<string, object?> { ["u"] = "hi", ["a"] = "yo" });
        Assert.Equal("U:hi\nA:yo<end>", result.Text);
        var (start, end) = Assert.Single(result.GenerationSpans);
        Assert.Equal("yo<end>", result.Text[start..end]);
    }

    [Theory]
    [InlineData("{% if x %}unclosed", "never closed")]
    [InlineData("{{ 1 + }}", "unexpected")]
    [InlineData("{% frobnicate %}", "unknown statement 'frobnicate'")]
    [InlineData("{{ 'x' | nosuchfilter }}", "unknown filter 'nosuchfilter'")]
    [InlineData("{{ 1 + 'a' }}", "unsupported operand")]
    public void BadTemplatesFailWithClearMessages(string template, string fragment)
    {
        var e = Assert.ThrowsAny<JinjaException>(() => R(template));
        Assert.Contains(fragment, e.Message);
    }
}
