using System.Globalization;
using Spectre.Console;

namespace Livepeer.Runner.Models;

/// <summary>How a pull shows its files: progress bars on a terminal, one line per file otherwise.</summary>
internal interface IPullProgress
{
    IFileProgress Start(HubFile file, long alreadyThere);

    void Note(string line);
}

internal interface IFileProgress
{
    void Advance(long bytes);

    void Finish(string outcome);
}

/// <summary>One line per finished file (logs, CI, a redirected terminal).</summary>
internal sealed class LineProgress(TextWriter output) : IPullProgress
{
    private readonly Lock _gate = new();

    public IFileProgress Start(HubFile file, long alreadyThere) => new Line(this, file, alreadyThere);

    public void Note(string line)
    {
        lock (_gate)
            output.WriteLine(line);
    }

    private sealed class Line(LineProgress owner, HubFile file, long alreadyThere) : IFileProgress
    {
        public void Advance(long bytes)
        {
        }

        public void Finish(string outcome) =>
            owner.Note($"  {file.Path}  {Sizes.Human(file.Size)}  {outcome}{(alreadyThere > 0 ? $" (resumed at {Sizes.Human(alreadyThere)})" : "")}");
    }
}

/// <summary>Spectre.Console progress bars, one per file.</summary>
internal sealed class BarProgress(ProgressContext context) : IPullProgress
{
    public IFileProgress Start(HubFile file, long alreadyThere)
    {
        var task = context.AddTask(Markup.Escape(file.Path), maxValue: Math.Max(1, file.Size));
        task.Value = alreadyThere;
        return new Bar(task);
    }

    public void Note(string line) => AnsiConsole.MarkupLine(Markup.Escape(line));

    private sealed class Bar(ProgressTask task) : IFileProgress
    {
        public void Advance(long bytes) => task.Increment(bytes);

        public void Finish(string outcome)
        {
            task.Description = Markup.Escape($"{task.Description} ({outcome})");
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }
}

internal static class Sizes
{
    /// <summary>The size of a file, or of the file a link points to.</summary>
    public static long Of(string path) => (new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? new FileInfo(path)).Length;

    public static string Human(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
