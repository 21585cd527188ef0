using System.Text;

namespace Livepeer.Runner.Pipelines.Media;

/// <summary>A child process's stderr, read to its end but kept bounded: only the last characters, where its final error is.</summary>
internal static class StderrTail
{
    public const int Limit = 4096;

    public static async Task<string> ReadAsync(StreamReader stderr, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var buffer = new char[1024];
        int read;
        while ((read = await stderr.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            text.Append(buffer, 0, read);
            if (text.Length > Limit)
                text.Remove(0, text.Length - Limit);
        }

        return text.ToString().Trim();
    }
}
