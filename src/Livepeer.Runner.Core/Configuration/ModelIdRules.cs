using System.Text.RegularExpressions;

namespace Livepeer.Runner.Core.Configuration;

/// <summary>
/// Which model ids the runner accepts: Hugging Face repo ids (<c>org/name</c> or <c>name</c>), each part starting
/// with a letter or digit and made of letters, digits, '.', '_' and '-'. This keeps an id from naming anything
/// outside MODEL_DIR: no '..' segment, no absolute path, no backslash, no empty segment.
/// </summary>
public static partial class ModelIdRules
{
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex SafeId();

    public static bool IsSafe(string modelId) => SafeId().IsMatch(modelId) && !modelId.Contains("..", StringComparison.Ordinal);
}
