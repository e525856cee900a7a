using System.Text;

namespace Athanor.Tokenization;

/// <summary>
/// GPT-2's reversible byte-to-character map used by byte-level BPE: printable Latin-1 bytes stand for
/// themselves, the other bytes (controls, space, 0x7F-0xA0, 0xAD) map to U+0100 upward in byte order.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = new char[256];
    private static readonly short[] CharToByte = new short[0x144];

    static ByteLevelAlphabet()
    {
        Array.Fill(CharToByte, (short)-1);
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char)b : (char)(0x100 + next++);
            ByteToChar[b] = c;
            CharToByte[c] = (short)b;
        }
    }

    public static char ToChar(byte b) => ByteToChar[b];

    /// <summary>The byte a character of the alphabet stands for, or -1 when the character is not in it.</summary>
    public static int ToByte(char c) => c < CharToByte.Length ? CharToByte[c] : -1;

    /// <summary>The text's UTF-8 bytes written as alphabet characters.</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        int byteCount = Encoding.UTF8.GetByteCount(text);
        Span<byte> bytes = byteCount <= 1024 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(text, bytes);
        Span<char> chars = byteCount <= 1024 ? stackalloc char[byteCount] : new char[byteCount];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }
}
