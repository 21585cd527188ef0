namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>
/// Bounds that keep a hostile or broken template from hanging or exhausting the runner. Real chat templates use a
/// few thousand steps per conversation and produce prompts far below these sizes.
/// </summary>
internal static class TemplateLimits
{
    /// <summary>Statements plus expressions evaluated in one render.</summary>
    public const int MaxSteps = 5_000_000;

    /// <summary>Longest string a render may build, output included (characters).</summary>
    public const int MaxTextLength = 16 * 1024 * 1024;

    /// <summary>Longest list a render may build.</summary>
    public const int MaxListLength = 1_000_000;

    /// <summary>Jinja's sandbox caps range() at the same size.</summary>
    public const int MaxRange = 100_000;

    public static string CheckText(string text) => text.Length <= MaxTextLength
        ? text
        : throw new ChatTemplateException($"Chat template error: a string grew past {MaxTextLength} characters.");

    public static long CheckTextLength(long length) => length <= MaxTextLength
        ? length
        : throw new ChatTemplateException($"Chat template error: a string grew past {MaxTextLength} characters.");

    public static List<object?> CheckList(List<object?> list) => list.Count <= MaxListLength
        ? list
        : throw new ChatTemplateException($"Chat template error: a list grew past {MaxListLength} items.");
}
