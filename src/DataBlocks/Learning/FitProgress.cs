using System;
using System.Collections.Generic;
using System.IO;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DataBlocks.Learning;

/// <summary>How a learner reports training: the epoch table and, on an interactive terminal, a live progress bar.</summary>
public enum ProgressMode
{
    /// <summary>A live bar on an interactive terminal; plain epoch lines when output is redirected.</summary>
    Auto,

    /// <summary>Plain lines only: the header and one line per epoch.</summary>
    Plain,

    /// <summary>Nothing.</summary>
    Silent,
}

/// <summary>Renders fit progress. One instance per fit.</summary>
internal abstract class FitProgress
{
    public static FitProgress Create(ProgressMode mode, TextWriter? writer) =>
        Create(mode, writer, Console.Out, Console.IsOutputRedirected, AnsiConsole.Console, TimeProvider.System);

    /// <summary>The display for <paramref name="writer"/>, given the process's console and clock.</summary>
    internal static FitProgress Create(ProgressMode mode, TextWriter? writer, TextWriter consoleOut, bool outputRedirected, IAnsiConsole console,
        TimeProvider time)
    {
        if (mode == ProgressMode.Silent || writer is null) return new SilentProgress();
        bool live = IsLive(mode, writer, consoleOut, outputRedirected, console.Profile.Capabilities.Interactive);
        return live ? new LiveProgress(console, time) : new PlainProgress(writer);
    }

    /// <summary>
    /// Whether the display is the live bar: only in <see cref="ProgressMode.Auto"/>, writing to the console's own output,
    /// not redirected, on a terminal that can redraw.
    /// </summary>
    internal static bool IsLive(ProgressMode mode, TextWriter writer, TextWriter consoleOut, bool outputRedirected, bool interactiveTerminal) =>
        mode == ProgressMode.Auto && ReferenceEquals(writer, consoleOut) && !outputRedirected && interactiveTerminal;

    /// <summary>Runs the fit loop inside the display.</summary>
    public abstract void Run(string header, Action body);

    public abstract void Row(string row);

    public abstract void Batch(string phase, int epoch, int epochs, int done, int total, double? loss);

    private sealed class SilentProgress : FitProgress
    {
        public override void Run(string header, Action body) => body();

        public override void Row(string row) { }

        public override void Batch(string phase, int epoch, int epochs, int done, int total, double? loss) { }
    }

    internal sealed class PlainProgress(TextWriter writer) : FitProgress
    {
        public override void Run(string header, Action body)
        {
            writer.WriteLine(header);
            writer.Flush();
            body();
        }

        public override void Row(string row)
        {
            writer.WriteLine(row);
            writer.Flush();
        }

        public override void Batch(string phase, int epoch, int epochs, int done, int total, double? loss) { }
    }

    /// <summary>The live display on <paramref name="console"/>, timed by <paramref name="time"/>.</summary>
    internal sealed class LiveProgress(IAnsiConsole console, TimeProvider time) : FitProgress
    {
        private readonly List<IRenderable> _lines = [];
        private long? _phaseStart;
        private long _lastRefresh = time.GetTimestamp();
        private LiveDisplayContext? _context;
        private string _bar = "";

        /// <summary>The bar's markup as last drawn (empty when no bar shows).</summary>
        internal string Bar => _bar;

        public override void Run(string header, Action body)
        {
            _lines.Add(new Text(header));
            console.Live(Render()).AutoClear(false).Overflow(VerticalOverflow.Visible).Start(ctx =>
            {
                _context = ctx;
                body();
                _bar = "";
                ctx.UpdateTarget(Render());
            });
        }

        public override void Row(string row)
        {
            _lines.Add(new Text(row));
            _bar = "";
            _context?.UpdateTarget(Render());
        }

        public override void Batch(string phase, int epoch, int epochs, int done, int total, double? loss)
        {
            long now = time.GetTimestamp();
            if (done <= 1) _phaseStart = now;
            if (done < total && time.GetElapsedTime(_lastRefresh, now).TotalMilliseconds < 100) return;
            _lastRefresh = now;
            const int width = 30;
            int filled = total == 0 ? width : (int)Math.Round((double)width * done / total);
            var elapsed = _phaseStart is { } start ? time.GetElapsedTime(start, now) : TimeSpan.Zero;
            var remaining = done == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(elapsed.Ticks * (total - done) / done);
            _bar = $"[grey]epoch {epoch + 1}/{epochs} {phase}[/] [green]{new string('━', filled)}[/][grey]{new string('━', width - filled)}[/] " +
                   $"{done}/{total} {EpochTable.Time(elapsed)}<{EpochTable.Time(remaining)}" +
                   (loss is { } l ? $" loss {EpochTable.Number(l)}" : "");
            _context?.UpdateTarget(Render());
        }

        internal IRenderable Render() => _bar.Length == 0 ? new Rows(_lines) : new Rows([.. _lines, new Markup(_bar)]);
    }
}
