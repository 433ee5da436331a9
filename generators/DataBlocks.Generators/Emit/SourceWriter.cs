using System;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace DataBlocks.Generators.Emit;

/// <summary>An indentation-aware text writer: 4 spaces, '\n' line endings, a final newline; <see cref="Block"/> makes the emitter read like the code it writes.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _sb = new();
    private int _indent;

    /// <summary>Generated lines stay within this width where a line can be broken.</summary>
    public const int MaxLineLength = 150;

    public void WriteLine() => _sb.Append('\n');

    /// <summary>Whether <paramref name="line"/> fits in <see cref="MaxLineLength"/> at the current indentation.</summary>
    public bool Fits(string line) => 4 * _indent + line.Length <= MaxLineLength;

    /// <summary>An XML doc summary: on one line for one line of text, else between its own tag lines.</summary>
    public void Summary(params string[] lines)
    {
        if (lines.Length == 1)
        {
            WriteLine($"/// <summary>{lines[0]}</summary>");
            return;
        }
        WriteLine("/// <summary>");
        foreach (string line in lines) WriteLine("/// " + line);
        WriteLine("/// </summary>");
    }

    /// <summary>A blank line (between members) and a one-line member with its one-line summary.</summary>
    public void Member(string summary, string code)
    {
        WriteLine();
        Summary(summary);
        WriteLine(code);
    }

    /// <summary>Writes <c>head => body;</c>, breaking after the arrow when the line would be longer than <see cref="MaxLineLength"/>.</summary>
    public void WriteArrow(string head, string body)
    {
        string oneLine = $"{head} => {body};";
        if (Fits(oneLine))
        {
            WriteLine(oneLine);
            return;
        }
        WriteLine(head + " =>");
        WriteLine("    " + body + ";");
    }

    /// <summary>
    /// Writes <c>head(a, b)tail</c> on one line when it fits in <see cref="MaxLineLength"/>; otherwise <c>head(</c> and one
    /// item a line, one level deeper, the last followed by <c>)tail</c>.
    /// </summary>
    public void WriteList(string head, System.Collections.Generic.IReadOnlyList<string> items, string tail = "")
    {
        string oneLine = head + "(" + string.Join(", ", items) + ")" + tail;
        if (items.Count == 0 || Fits(oneLine))
        {
            WriteLine(oneLine);
            return;
        }
        WriteLine(head + "(");
        _indent++;
        for (int i = 0; i < items.Count; i++) WriteLine(items[i] + (i < items.Count - 1 ? "," : ")" + tail));
        _indent--;
    }

    public void WriteLine(string line)
    {
        if (line.Length > 0) _sb.Append(' ', 4 * _indent).Append(line);
        _sb.Append('\n');
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace, indents, and closes the brace when disposed.</summary>
    public IDisposable Block(string header, string closing = "}")
    {
        WriteLine(header);
        WriteLine("{");
        _indent++;
        return new Closer(this, closing);
    }

    /// <summary>An opening brace on its own line (after a header already written), closed when disposed.</summary>
    public IDisposable Block()
    {
        WriteLine("{");
        _indent++;
        return new Closer(this, "}");
    }

    /// <summary><see cref="Block(string, string)"/> when <paramref name="condition"/> holds; otherwise nothing.</summary>
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
