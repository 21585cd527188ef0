using System.Text;

namespace Livepeer.Runner.Pipelines.Checks;

/// <summary>A readable, per-file report of <see cref="ModelCheck"/>: what is right, what is wrong, and notes.</summary>
public sealed class ModelCheckReport(string location)
{
    private readonly List<(string Status, string File, string Text)> _lines = [];

    public string Location { get; } = location;

    public string? Family { get; set; }

    public int Problems => _lines.Count(l => l.Status == "PROBLEM");

    public bool IsComplete => Problems == 0;

    public IReadOnlyList<string> ProblemLines => [.. _lines.Where(l => l.Status == "PROBLEM").Select(l => $"{l.File}: {l.Text}")];

    internal void Ok(string file, string text) => _lines.Add(("ok", file, text));

    internal void Problem(string file, string text) => _lines.Add(("PROBLEM", file, text));

    internal void Note(string file, string text) => _lines.Add(("note", file, text));

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(Location).Append(" (").Append(Family ?? "unknown family").AppendLine(")");
        foreach (var (status, file, line) in _lines)
            text.Append("  ").Append(status.PadRight(8)).Append(file).Append("  ").AppendLine(line);
        text.Append(Problems == 0 ? "  complete: every file and graph the engine needs is there" : $"  {Problems} problem{(Problems == 1 ? "" : "s")}");
        return text.ToString();
    }
}
