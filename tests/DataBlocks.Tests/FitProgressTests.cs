using System;
using System.IO;
using DataBlocks.Learning;
using Spectre.Console.Testing;
using Xunit;

namespace DataBlocks.Tests;

/// <summary>The fit's progress display: which display a mode picks, the plain lines, and the live bar's text and timing.</summary>
public class FitProgressTests
{
    private static readonly string Bar12 = new('━', 12), Bar18 = new('━', 18), Bar30 = new('━', 30);

    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    /// <summary>Counts flushes, so a test can tell whether a line was pushed out before the fit went on.</summary>
    private sealed class FlushCounter : StringWriter
    {
        public int Flushes { get; private set; }

        public override void Flush()
        {
            Flushes++;
            base.Flush();
        }
    }

    [Theory]
    [InlineData(ProgressMode.Auto, true, false, true, true)]
    [InlineData(ProgressMode.Plain, true, false, true, false)]       // plain asked for: never the bar
    [InlineData(ProgressMode.Auto, false, false, true, false)]       // another writer than the console's
    [InlineData(ProgressMode.Auto, true, true, true, false)]         // the console's output is redirected
    [InlineData(ProgressMode.Auto, true, false, false, false)]       // a terminal that cannot redraw
    public void Auto_Shows_The_Live_Bar_Only_On_An_Interactive_Console(ProgressMode mode, bool writerIsConsole, bool redirected, bool interactive,
        bool live)
    {
        var console = new StringWriter();
        var writer = writerIsConsole ? console : new StringWriter();
        Assert.Equal(live, FitProgress.IsLive(mode, writer, console, redirected, interactive));
    }

    [Fact]
    public void Create_Picks_The_Live_Bar_For_An_Interactive_Console_And_Plain_Lines_Otherwise()
    {
        var writer = new StringWriter();
        var terminal = new TestConsole();
        terminal.Profile.Capabilities.Interactive = true;
        Assert.IsType<FitProgress.LiveProgress>(FitProgress.Create(ProgressMode.Auto, writer, writer, false, terminal, new ManualTime()));
        Assert.IsType<FitProgress.PlainProgress>(FitProgress.Create(ProgressMode.Auto, writer, new StringWriter(), false, terminal, new ManualTime()));
        Assert.IsType<FitProgress.PlainProgress>(FitProgress.Create(ProgressMode.Plain, writer, writer, false, terminal, new ManualTime()));
        var silent = FitProgress.Create(ProgressMode.Auto, null, writer, false, terminal, new ManualTime());
        Assert.IsNotType<FitProgress.LiveProgress>(silent);
        Assert.IsNotType<FitProgress.PlainProgress>(silent);
    }

    [Fact]
    public void Plain_Writes_And_Flushes_The_Header_Before_The_Fit_And_Each_Row_As_It_Comes()
    {
        var writer = new FlushCounter();
        var progress = FitProgress.Create(ProgressMode.Plain, writer);
        int flushesInBody = -1;
        string textInBody = "";
        progress.Run("epoch  train_loss", () =>
        {
            flushesInBody = writer.Flushes;
            textInBody = writer.ToString();
            progress.Batch("train", 0, 1, 1, 10, 0.5);   // plain output has no bar
            progress.Row("0      0.500000");
        });
        Assert.Equal(1, flushesInBody);
        Assert.Equal("epoch  train_loss" + Environment.NewLine, textInBody);
        Assert.Equal(2, writer.Flushes);
        Assert.Equal("epoch  train_loss" + Environment.NewLine + "0      0.500000" + Environment.NewLine, writer.ToString());
    }

    [Fact]
    public void Silent_Runs_The_Fit_And_Writes_Nothing()
    {
        var writer = new StringWriter();
        var progress = FitProgress.Create(ProgressMode.Silent, writer);
        bool ran = false;
        progress.Run("header", () =>
        {
            progress.Row("row");
            ran = true;
        });
        Assert.True(ran);
        Assert.Equal("", writer.ToString());
    }

    [Fact]
    public void The_Bar_Fills_By_Done_Over_Total_And_Estimates_The_Rest_From_The_Mean_Batch_Time()
    {
        var time = new ManualTime();
        var live = new FitProgress.LiveProgress(new TestConsole(), time);
        live.Batch("train", 0, 2, 1, 10, 0.5);                  // batch 1 starts the phase clock; drawn less than 100 ms ago: not redrawn
        Assert.Equal("", live.Bar);
        time.Advance(TimeSpan.FromSeconds(20));
        live.Batch("train", 0, 2, 4, 10, 0.5);
        // 4 of 10 in 20 s: 5 s a batch, 6 to go = 30 s; 30 * 4/10 = 12 cells filled of 30.
        Assert.Equal($"[grey]epoch 1/2 train[/] [green]{Bar12}[/][grey]{Bar18}[/] 4/10 00:20<00:30 loss 0.500000", live.Bar);

        time.Advance(TimeSpan.FromMilliseconds(99));
        live.Batch("train", 0, 2, 5, 10, 0.25);                 // 99 ms after the last draw: skipped
        Assert.Contains(" 4/10 ", live.Bar);
        live.Batch("train", 0, 2, 10, 10, 0.25);                // the last batch is always drawn
        Assert.Equal($"[grey]epoch 1/2 train[/] [green]{Bar30}[/][grey][/] 10/10 00:20<00:00 loss 0.250000", live.Bar);
        time.Advance(TimeSpan.FromMilliseconds(50));
        live.Batch("train", 0, 2, 6, 10, 0.25);                 // 50 ms after that draw: skipped (the throttle restarts at every draw)
        Assert.Contains(" 10/10 ", live.Bar);
        time.Advance(TimeSpan.FromMilliseconds(50));
        live.Batch("train", 0, 2, 6, 10, 0.25);                 // exactly 100 ms: drawn
        Assert.Contains(" 6/10 ", live.Bar);

        // A new phase restarts the clock at its first batch: 3 of 5 done 3 s later, 1 s a batch, 2 to go = 2 s; no loss shown.
        time.Advance(TimeSpan.FromMinutes(5));
        live.Batch("valid", 1, 2, 1, 5, null);
        time.Advance(TimeSpan.FromSeconds(3));
        live.Batch("valid", 1, 2, 3, 5, null);
        Assert.Equal($"[grey]epoch 2/2 valid[/] [green]{Bar18}[/][grey]{Bar12}[/] 3/5 00:03<00:02", live.Bar);
    }

    [Fact]
    public void The_Bar_Of_An_Empty_Phase_Is_Full_With_No_Estimate()
    {
        var time = new ManualTime();
        var live = new FitProgress.LiveProgress(new TestConsole(), time);
        live.Batch("valid", 0, 1, 0, 0, null);
        Assert.Equal($"[grey]epoch 1/1 valid[/] [green]{Bar30}[/][grey][/] 0/0 00:00<00:00", live.Bar);
        time.Advance(TimeSpan.FromMinutes(2));
        live.Batch("train", 0, 1, 0, 5, null);                  // nothing done yet: no estimate (and no division by zero)
        Assert.Equal($"[grey]epoch 1/1 train[/] [green][/][grey]{Bar30}[/] 0/5 00:00<00:00", live.Bar);
    }

    [Fact]
    public void Rows_Stack_Under_The_Header_And_Clear_The_Bar()
    {
        var live = new FitProgress.LiveProgress(new TestConsole(), new ManualTime());
        live.Row("row 0");
        live.Batch("train", 0, 1, 2, 2, null);
        Assert.Equal(["row 0", $"epoch 1/1 train {Bar30} 2/2 00:00<00:00"], Rendered(live));
        live.Row("row 1");
        Assert.Equal("", live.Bar);
        Assert.Equal(["row 0", "row 1"], Rendered(live));
    }

    [Fact]
    public void Live_Draws_The_Header_Rows_And_Bar_And_Ends_Without_The_Bar()
    {
        var console = new TestConsole();
        var live = new FitProgress.LiveProgress(console, new ManualTime());
        bool ran = false;
        string afterRow = "", afterBatch = "";
        live.Run("epoch  train_loss", () =>
        {
            live.Row("0      0.500000");
            afterRow = console.Output;
            live.Batch("train", 1, 2, 3, 3, 0.25);
            afterBatch = console.Output;
            ran = true;
        });
        Assert.True(ran);
        Assert.Contains("0      0.500000", afterRow);                              // each row is drawn as it comes
        Assert.Contains("epoch 2/2 train", afterBatch);                           // and each bar
        Assert.Contains("3/3 00:00<00:00 loss 0.250000", afterBatch);
        // Without ANSI codes the test console holds every frame one after another; the last frame has the header and the
        // row, and no bar.
        string output = console.Output;
        string last = output[output.LastIndexOf("epoch  train_loss", StringComparison.Ordinal)..];
        Assert.Contains("0      0.500000", last);
        Assert.DoesNotContain("epoch 2/2", last, StringComparison.Ordinal);
        Assert.DoesNotContain("Stryker", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Live_Leaves_The_Table_On_Screen_When_The_Fit_Ends()
    {
        var console = new TestConsole { EmitAnsiSequences = true };
        var live = new FitProgress.LiveProgress(console, new ManualTime());
        live.Run("epoch  train_loss", () => live.Row("0      0.500000"));
        // The last frame is the table itself; clearing it would end the output with erase-line codes (ESC [2K).
        Assert.EndsWith("0      0.500000", console.Output.TrimEnd(), StringComparison.Ordinal);
    }

    private static string[] Rendered(FitProgress.LiveProgress live)
    {
        var console = new TestConsole();
        console.Write(live.Render());
        return [.. console.Lines];
    }
}
