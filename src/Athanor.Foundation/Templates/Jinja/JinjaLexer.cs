using System.Globalization;
using System.Text;

namespace Athanor.Templates.Jinja;

/// <summary>Lexer settings; the defaults are the ones transformers' apply_chat_template compiles with.</summary>
public sealed record JinjaOptions
{
    public bool TrimBlocks { get; init; } = true;
    public bool LstripBlocks { get; init; } = true;
    public bool KeepTrailingNewline { get; init; }

    public static JinjaOptions ChatTemplate { get; } = new();
}

/// <summary>
/// Splits template source into text and tag tokens the way jinja2's lexer does, including "-"/"+" whitespace
/// control, trim_blocks (drop the newline after a block or comment tag) and lstrip_blocks (drop spaces and tabs
/// before a block or comment tag that starts its line).
/// </summary>
internal sealed class JinjaLexer
{
    private readonly string _src;
    private readonly JinjaOptions _options;
    private readonly List<JinjaToken> _tokens = new();
    private int _pos;
    private int _line = 1;

    private JinjaLexer(string source, JinjaOptions options)
    {
        _src = NormalizeSource(source, options.KeepTrailingNewline);
        _options = options;
    }

    public static List<JinjaToken> Tokenize(string source, JinjaOptions options)
    {
        var lexer = new JinjaLexer(source, options);
        lexer.Run();
        return lexer._tokens;
    }

    // jinja2 turns every newline sequence into "\n" and drops one trailing newline unless told to keep it.
    private static string NormalizeSource(string source, bool keepTrailingNewline)
    {
        string s = source.Contains('\r') ? source.Replace("\r\n", "\n").Replace('\r', '\n') : source;
        if (!keepTrailingNewline && s.EndsWith('\n')) s = s[..^1];
        return s;
    }

    private void Run()
    {
        bool lineStarting = true;
        while (_pos < _src.Length)
        {
            int tagAt = FindTagStart(_pos);
            string text = _src[_pos..(tagAt < 0 ? _src.Length : tagAt)];
            if (tagAt < 0)
            {
                AddText(text);
                _pos = _src.Length;
                break;
            }

            char kind = _src[tagAt + 1]; // '{', '%' or '#'
            char sign = tagAt + 2 < _src.Length ? _src[tagAt + 2] : '\0';
            if (sign == '-')
                text = text.TrimEnd();
            else if (sign != '+' && _options.LstripBlocks && kind != '{')
                text = LstripBeforeTag(text, lineStarting);
            AddText(text);
            AdvanceTo(tagAt);
            int contentStart = tagAt + 2 + (sign is '-' or '+' ? 1 : 0);

            if (kind == '#')
            {
                lineStarting = LexComment(contentStart);
                continue;
            }
            if (kind == '{')
            {
                _tokens.Add(new JinjaToken(TokenKind.VariableStart, "{{", _line));
                AdvanceTo(contentStart);
                lineStarting = LexTagContents(isBlock: false);
                continue;
            }
            _tokens.Add(new JinjaToken(TokenKind.BlockStart, "{%", _line));
            AdvanceTo(contentStart);
            if (TryLexRaw(out bool rawLineStarting))
            {
                lineStarting = rawLineStarting;
                continue;
            }
            lineStarting = LexTagContents(isBlock: true);
        }
        _tokens.Add(new JinjaToken(TokenKind.Eof, "", _line));
    }

    private int FindTagStart(int from)
    {
        int i = from;
        while (true)
        {
            i = _src.IndexOf('{', i);
            if (i < 0 || i + 1 >= _src.Length) return -1;
            char c = _src[i + 1];
            if (c is '{' or '%' or '#') return i;
            i++;
        }
    }

    // lstrip_blocks: spaces/tabs between the start of the line and the tag go away.
    private static string LstripBeforeTag(string text, bool lineStarting)
    {
        int lineStart = text.LastIndexOf('\n') + 1;
        if (lineStart == 0 && !lineStarting) return text;
        for (int i = lineStart; i < text.Length; i++)
            if (text[i] != ' ' && text[i] != '\t') return text;
        return text[..lineStart];
    }

    private void AddText(string text)
    {
        if (text.Length > 0) _tokens.Add(new JinjaToken(TokenKind.Text, text, _line));
    }

    private void AdvanceTo(int pos)
    {
        for (int i = _pos; i < pos; i++)
            if (_src[i] == '\n') _line++;
        _pos = pos;
    }

    /// <summary>Handles a tag's closing: "-" strips following whitespace, trim_blocks eats one newline. Returns whether the consumed text ended a line.</summary>
    private bool CloseTag(int endAt, int endLength, bool minus, bool plus, bool isBlockOrComment)
    {
        AdvanceTo(endAt + endLength);
        if (minus)
        {
            int p = _pos;
            while (p < _src.Length && char.IsWhiteSpace(_src[p])) p++;
            bool endedLine = p > _pos && _src[p - 1] == '\n';
            AdvanceTo(p);
            return endedLine;
        }
        if (!plus && isBlockOrComment && _options.TrimBlocks && _pos < _src.Length && _src[_pos] == '\n')
        {
            AdvanceTo(_pos + 1);
            return true;
        }
        return false;
    }

    private bool LexComment(int contentStart)
    {
        int end = _src.IndexOf("#}", contentStart, StringComparison.Ordinal);
        if (end < 0) throw new JinjaSyntaxException("comment is not closed with '#}'", _line);
        bool minus = end > contentStart && _src[end - 1] == '-';
        bool plus = end > contentStart && _src[end - 1] == '+';
        return CloseTag(end, 2, minus, plus, isBlockOrComment: true);
    }

    // {% raw %}...{% endraw %} passes its body through untouched.
    private bool TryLexRaw(out bool lineStarting)
    {
        lineStarting = false;
        int p = _pos;
        while (p < _src.Length && char.IsWhiteSpace(_src[p])) p++;
        if (string.CompareOrdinal(_src, p, "raw", 0, 3) != 0) return false;
        int q = p + 3;
        while (q < _src.Length && char.IsWhiteSpace(_src[q])) q++;
        bool minus = q < _src.Length && _src[q] == '-';
        bool plus = q < _src.Length && _src[q] == '+';
        if (minus || plus) q++;
        if (string.CompareOrdinal(_src, q, "%}", 0, 2) != 0) return false;
        _tokens.RemoveAt(_tokens.Count - 1); // the BlockStart we just emitted
        CloseTag(q, 2, minus, plus, isBlockOrComment: true);

        int search = _pos;
        while (true)
        {
            int open = _src.IndexOf("{%", search, StringComparison.Ordinal);
            if (open < 0) throw new JinjaSyntaxException("raw block is not closed with '{% endraw %}'", _line);
            int r = open + 2;
            bool innerMinus = r < _src.Length && _src[r] == '-';
            if (innerMinus || (r < _src.Length && _src[r] == '+')) r++;
            while (r < _src.Length && char.IsWhiteSpace(_src[r])) r++;
            if (string.CompareOrdinal(_src, r, "endraw", 0, 6) != 0) { search = open + 2; continue; }
            r += 6;
            while (r < _src.Length && char.IsWhiteSpace(_src[r])) r++;
            bool endMinus = r < _src.Length && _src[r] == '-';
            bool endPlus = r < _src.Length && _src[r] == '+';
            if (endMinus || endPlus) r++;
            if (string.CompareOrdinal(_src, r, "%}", 0, 2) != 0) { search = open + 2; continue; }
            string body = _src[_pos..open];
            if (innerMinus) body = body.TrimEnd();
            AddText(body);
            AdvanceTo(open);
            lineStarting = CloseTag(r, 2, endMinus, endPlus, isBlockOrComment: true);
            return true;
        }
    }

    /// <summary>Lexes the expression tokens of a {{ }} or {% %} tag up to and including its end.</summary>
    private bool LexTagContents(bool isBlock)
    {
        int depth = 0;
        while (true)
        {
            while (_pos < _src.Length && char.IsWhiteSpace(_src[_pos])) AdvanceTo(_pos + 1);
            if (_pos >= _src.Length)
                throw new JinjaSyntaxException(isBlock ? "block tag is not closed with '%}'" : "expression is not closed with '}}'", _line);

            string end = isBlock ? "%}" : "}}";
            char c = _src[_pos];
            bool signed = (c == '-' || c == '+') && string.CompareOrdinal(_src, _pos + 1, end, 0, 2) == 0;
            if ((signed || string.CompareOrdinal(_src, _pos, end, 0, 2) == 0) && (isBlock || depth == 0))
            {
                int endAt = signed ? _pos + 1 : _pos;
                if (c == '+' && !isBlock) signed = false; // "+}}" is not a modifier
                int line = _line;
                bool closedLine = CloseTag(endAt, 2, signed && c == '-', signed && c == '+', isBlock);
                _tokens.Add(new JinjaToken(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, end, line));
                return closedLine;
            }

            if (c is '\'' or '"') { LexString(c); continue; }
            if (char.IsDigit(c)) { LexNumber(); continue; }
            if (char.IsLetter(c) || c == '_') { LexName(); continue; }
            LexOperator(ref depth);
        }
    }

    private void LexName()
    {
        int start = _pos;
        while (_pos < _src.Length && (char.IsLetterOrDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        _tokens.Add(new JinjaToken(TokenKind.Name, _src[start.._pos], _line));
    }

    private void LexNumber()
    {
        int start = _pos;
        while (_pos < _src.Length && (char.IsDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        bool isFloat = false;
        if (_pos + 1 < _src.Length && _src[_pos] == '.' && char.IsDigit(_src[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            while (_pos < _src.Length && (char.IsDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        }
        if (_pos < _src.Length && (_src[_pos] == 'e' || _src[_pos] == 'E'))
        {
            int save = _pos;
            _pos++;
            if (_pos < _src.Length && (_src[_pos] == '+' || _src[_pos] == '-')) _pos++;
            if (_pos < _src.Length && char.IsDigit(_src[_pos]))
            {
                isFloat = true;
                while (_pos < _src.Length && char.IsDigit(_src[_pos])) _pos++;
            }
            else _pos = save;
        }
        string text = _src[start.._pos].Replace("_", "");
        if (isFloat)
            _tokens.Add(new JinjaToken(TokenKind.Float, text, _line, FloatValue: double.Parse(text, CultureInfo.InvariantCulture)));
        else
            _tokens.Add(new JinjaToken(TokenKind.Integer, text, _line, IntValue: long.Parse(text, CultureInfo.InvariantCulture)));
    }

    private void LexString(char quote)
    {
        int line = _line;
        var sb = new StringBuilder();
        int p = _pos + 1;
        while (true)
        {
            if (p >= _src.Length) throw new JinjaSyntaxException("string literal is not closed", line);
            char c = _src[p];
            if (c == quote) { p++; break; }
            if (c != '\\') { sb.Append(c); p++; continue; }
            if (p + 1 >= _src.Length) throw new JinjaSyntaxException("string literal ends in a backslash", line);
            char e = _src[p + 1];
            p += 2;
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case 'a': sb.Append('\a'); break;
                case '0': sb.Append('\0'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case '\n': break; // line continuation
                case 'x': sb.Append((char)ParseHex(p, 2, line)); p += 2; break;
                case 'u': sb.Append((char)ParseHex(p, 4, line)); p += 4; break;
                case 'U': sb.Append(char.ConvertFromUtf32(ParseHex(p, 8, line))); p += 8; break;
                default: sb.Append('\\').Append(e); break; // Python keeps unknown escapes as written
            }
        }
        AdvanceTo(p);
        _tokens.Add(new JinjaToken(TokenKind.String, sb.ToString(), line));
    }

    private int ParseHex(int at, int length, int line)
    {
        if (at + length > _src.Length || !int.TryParse(_src.AsSpan(at, length), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int v))
            throw new JinjaSyntaxException("bad escape sequence in string literal", line);
        return v;
    }

    private static readonly string[] Operators =
    {
        "//", "**", "==", "!=", "<=", ">=",
        "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "=",
    };

    private void LexOperator(ref int depth)
    {
        foreach (string op in Operators)
        {
            if (string.CompareOrdinal(_src, _pos, op, 0, op.Length) != 0) continue;
            if (op is "(" or "[" or "{") depth++;
            else if (op is ")" or "]" or "}") depth--;
            _tokens.Add(new JinjaToken(TokenKind.Operator, op, _line));
            _pos += op.Length;
            return;
        }
        throw new JinjaSyntaxException($"unexpected character '{_src[_pos]}'", _line);
    }
}
