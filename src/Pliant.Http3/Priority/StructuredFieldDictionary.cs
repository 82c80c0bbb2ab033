using System.Globalization;

namespace Pliant.Http3;

/// <summary>
/// A parser for Structured Field Dictionaries (RFC 8941 §4.2.2), enough for RFC 9218 priorities: members with
/// bare items (Integer → long, Decimal → double, String, Token → string, Byte Sequence → byte[], Boolean → bool),
/// Inner Lists (returned as null values) and Parameters (parsed and dropped). Any syntax error fails the
/// whole field (§4.2). Linear in the input; more than 1,024 members fail the field.
/// </summary>
internal static class StructuredFieldDictionary
{
    private const int MaxMembers = 1024;

    public static bool TryParse(string input, out List<(string Key, object? Value)> members)
    {
        members = [];
        var p = new Parser(input);
        p.SkipSp();
        if (p.AtEnd) return true;
        while (true)
        {
            if (!p.TryKey(out string key)) return false;
            object? value = true; // §4.2.2: a member without "=" is Boolean true
            if (p.Peek == '=')
            {
                p.Pos++;
                if (p.Peek == '(')
                {
                    if (!p.TrySkipInnerList()) return false;
                    value = null;
                }
                else if (!p.TryBareItem(out value)) return false;
            }
            if (!p.TrySkipParameters()) return false;
            // RFC 8941 §3.2: parsers support at least 1,024 members; beyond that the field fails as a whole.
            if (members.Count == MaxMembers) return false;
            members.Add((key, value));
            p.SkipOws();
            if (p.AtEnd) return true;
            if (p.Peek != ',') return false;
            p.Pos++;
            p.SkipOws();
            if (p.AtEnd) return false; // trailing comma
        }
    }

    private ref struct Parser(string s)
    {
        private readonly string _s = s;
        public int Pos;

        public readonly bool AtEnd => Pos >= _s.Length;

        public readonly char Peek => Pos < _s.Length ? _s[Pos] : '\0';

        public void SkipSp()
        {
            while (!AtEnd && _s[Pos] == ' ') Pos++;
        }

        public void SkipOws()
        {
            while (!AtEnd && _s[Pos] is ' ' or '\t') Pos++;
        }

        public bool TryKey(out string key)
        {
            key = "";
            // §4.2.3.3: key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
            if (!(Peek is (>= 'a' and <= 'z') or '*')) return false;
            int start = Pos++;
            while (!AtEnd && _s[Pos] is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' or '.' or '*') Pos++;
            key = _s[start..Pos];
            return true;
        }

        public bool TrySkipParameters()
        {
            while (Peek == ';')
            {
                Pos++;
                SkipSp();
                if (!TryKey(out _)) return false;
                if (Peek == '=')
                {
                    Pos++;
                    if (!TryBareItem(out _)) return false;
                }
            }
            return true;
        }

        public bool TrySkipInnerList()
        {
            Pos++; // '('
            while (true)
            {
                SkipSp();
                if (Peek == ')')
                {
                    Pos++;
                    return true;
                }
                if (!TryBareItem(out _) || !TrySkipParameters()) return false;
                if (!(Peek is ' ' or ')')) return false;
            }
        }

        public bool TryBareItem(out object? value)
        {
            value = null;
            char c = Peek;
            if (c is '-' or (>= '0' and <= '9')) return TryNumber(out value);
            if (c == '"') return TryString(out value);
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '*') return TryToken(out value);
            if (c == ':') return TryBytes(out value);
            if (c == '?')
            {
                Pos++;
                if (Peek is '0' or '1')
                {
                    value = _s[Pos++] == '1';
                    return true;
                }
                return false;
            }
            return false;
        }

        private bool TryNumber(out object? value)
        {
            value = null;
            int start = Pos;
            if (Peek == '-') Pos++;
            int digitsStart = Pos, dot = -1;
            while (!AtEnd && (char.IsAsciiDigit(_s[Pos]) || (_s[Pos] == '.' && dot < 0)))
            {
                if (_s[Pos] == '.') dot = Pos;
                Pos++;
            }
            // §4.2.4: at most 15 integer digits, at most 12 before and 3 after a decimal point.
            int len = Pos - digitsStart;
            if (len == 0) return false;
            string text = _s[start..Pos];
            if (dot < 0)
            {
                if (len > 15) return false;
                value = long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                return true;
            }
            int before = dot - digitsStart, after = Pos - dot - 1;
            if (before == 0 || before > 12 || after is < 1 or > 3) return false;
            value = double.Parse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            return true;
        }

        private bool TryString(out object? value)
        {
            value = null;
            Pos++;
            var sb = new System.Text.StringBuilder();
            while (!AtEnd)
            {
                char c = _s[Pos++];
                if (c == '\\')
                {
                    if (AtEnd || _s[Pos] is not ('"' or '\\')) return false;
                    sb.Append(_s[Pos++]);
                }
                else if (c == '"')
                {
                    value = sb.ToString();
                    return true;
                }
                else if (c is < ' ' or > '~') return false;
                else sb.Append(c);
            }
            return false;
        }

        private bool TryToken(out object? value)
        {
            int start = Pos++;
            while (!AtEnd && (char.IsAsciiLetterOrDigit(_s[Pos]) || "!#$%&'*+-.^_`|~:/".Contains(_s[Pos], StringComparison.Ordinal))) Pos++;
            value = _s[start..Pos];
            return true;
        }

        private bool TryBytes(out object? value)
        {
            value = null;
            int start = ++Pos;
            while (!AtEnd && _s[Pos] != ':')
            {
                if (!(char.IsAsciiLetterOrDigit(_s[Pos]) || _s[Pos] is '+' or '/' or '=')) return false;
                Pos++;
            }
            if (AtEnd) return false;
            try
            {
                value = Convert.FromBase64String(_s[start..Pos]);
            }
            catch (FormatException)
            {
                return false;
            }
            Pos++;
            return true;
        }
    }
}
