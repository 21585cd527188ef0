using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Livepeer.Runner.Testing;

namespace Livepeer.Runner.Tests;

/// <summary>
/// The request examples of README.md (curl and xdg-open commands aimed at localhost:8000 in its bash blocks) and of
/// scripts/readme-examples.sh, read as the shell would read them and turned into the HTTP requests they send.
/// </summary>
internal static partial class ReadmeExamples
{
    public static IReadOnlyList<string> InReadme() =>
        Commands(string.Concat(BashBlock().Matches(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "README.md"))).Select(m => m.Groups[1].Value)));

    public static IReadOnlyList<string> InScript() =>
        Commands(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "scripts", "readme-examples.sh")));

    /// <summary>Each command whole, its backslash-continued lines joined with the line break kept.</summary>
    private static List<string> Commands(string shell)
    {
        var commands = new List<string>();
        var current = new StringBuilder();
        foreach (var line in shell.Split('\n'))
        {
            current.Append(current.Length == 0 ? line : "\n" + line);
            if (line.EndsWith('\\'))
                continue;
            var command = current.ToString().Trim();
            current.Clear();
            if (Example().IsMatch(command))
                commands.Add(command);
        }

        return commands;
    }

    /// <summary>The request a curl (or xdg-open) command sends; the shell words after |, &gt; or # are not curl's.</summary>
    public static HttpRequestMessage ToRequest(string command)
    {
        var words = Words(command);
        string? url = null, body = null;
        var method = HttpMethod.Get;
        var fields = new List<(string Name, string Value)>();
        var headers = new List<(string Name, string Value)>();
        for (var i = 1; i < words.Count; i++)
        {
            switch (words[i])
            {
                case "-s":
                    break;
                case "-F":
                    var field = words[++i];
                    var eq = field.IndexOf('=', StringComparison.Ordinal);
                    fields.Add((field[..eq], field[(eq + 1)..]));
                    break;
                case "-d":
                    body = words[++i];
                    break;
                case "-H":
                    var header = words[++i];
                    var colon = header.IndexOf(':', StringComparison.Ordinal);
                    headers.Add((header[..colon].Trim(), header[(colon + 1)..].Trim()));
                    break;
                case "-X":
                    method = new HttpMethod(words[++i]);
                    break;
                case var word when word.StartsWith('-'):
                    throw new NotSupportedException($"curl option {word} in: {command}");
                default:
                    url = words[i];
                    break;
            }
        }

        var path = Regex.Replace(url ?? throw new InvalidOperationException("no URL in: " + command), "^(https?://)?localhost:8000", "");
        var request = new HttpRequestMessage(method, path.Length == 0 ? "/" : path);
        if (fields.Count > 0)
        {
            var form = new MultipartFormDataContent();
            foreach (var (name, value) in fields)
            {
                if (value.StartsWith('@'))
                {
                    var file = new ByteArrayContent(File.ReadAllBytes(Path.Combine(TestPaths.RepoRoot, value[1..])));
                    file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    form.Add(file, name, Path.GetFileName(value[1..]));
                }
                else
                {
                    form.Add(new StringContent(value), name);
                }
            }

            request.Content = form;
        }
        else if (body is not null)
        {
            // What curl -d sends without -H: a form-urlencoded content type on a JSON text.
            request.Content = new StringContent(body, Encoding.UTF8, "application/x-www-form-urlencoded");
        }

        if (request.Content is not null && method == HttpMethod.Get)
            request.Method = HttpMethod.Post;
        foreach (var (name, value) in headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
                request.Content?.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    /// <summary>POSIX shell words: single quotes literal, double quotes with backslash escapes, backslash-newline as space.</summary>
    private static List<string> Words(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (c == '\\' && i + 1 < command.Length && command[i + 1] == '\n')
            {
                i++;
                c = ' ';
            }

            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                    words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }

            if (!inWord && (c == '|' || c == '>' || c == '#'))
                break;
            inWord = true;
            if (c == '\'')
            {
                var end = command.IndexOf('\'', i + 1);
                word.Append(command, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                for (i++; command[i] != '"'; i++)
                {
                    if (command[i] == '\\' && "\"\\$`".Contains(command[i + 1], StringComparison.Ordinal))
                        i++;
                    word.Append(command[i]);
                }
            }
            else
            {
                word.Append(c);
            }
        }

        if (inWord)
            words.Add(word.ToString());
        return words;
    }

    [GeneratedRegex(@"```bash\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex(@"^(curl|xdg-open)\s.*localhost:8000", RegexOptions.Singleline)]
    private static partial Regex Example();
}
