using System;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace DataBlocks.Generators.Emit;

/// <summary>An indentation-aware text writer: 4 spaces, '\n' line endings, a final newline; <see cref="Block"/> makes the emitter read like the code it writes.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    public void WriteLine() => _sb.Append('\n');

    public void WriteLine(string line)
    {
        if (line.Length > 0) _sb.Append(' ', 4 * _indent).Append(line);
        _sb.Append('\n');
    }

    /// <summary>Writes several lines (split on '\n'), each at the current indentation.</summary>
    public void WriteLines(string text)
    {
        foreach (var line in text.Split('\n')) WriteLine(line.TrimEnd('\r'));
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace, indents, and closes the brace when disposed.</summary>
    public IDisposable Block(string header, string closing = "}")
    {
        WriteLine(header);
        WriteLine("{");
        _indent++;
        return new Closer(this, closing);
    }

    /// <summary><see cref="Block"/> when <paramref name="condition"/> holds; otherwise nothing.</summary>
    public IDisposable BlockIf(bool condition, string header) => condition ? Block(header) : new Closer(null, "");

    public void Indent() => _indent++;

    public void Unindent() => _indent--;

    public SourceText ToSourceText() => SourceText.From(ToString(), Encoding.UTF8);

    public override string ToString() => _sb.ToString();

    private sealed class Closer(SourceWriter? writer, string closing) : IDisposable
    {
        public void Dispose()
        {
            if (writer is null) return;
            writer._indent--;
            writer.WriteLine(closing);
        }
    }
}
