using Livepeer.Runner.Pipelines.Llm.Templates;

namespace Livepeer.Runner.Pipelines.Tests.Llm;

/// <summary>Malformed, unsupported and runaway templates fail with ChatTemplateException, never another type or a hang.</summary>
public sealed class ChatTemplateErrorTests
{
    private static readonly ChatMessage[] Messages = [new("user", "hi")];

    [Theory]
    [InlineData("{% if x %}no end", "endif")]
    [InlineData("{{ 'never closed", "never closed")]
    [InlineData("{{ x ", "never closed")]
    [InlineData("{% for x in %}{% endfor %}", "unexpected")]
    [InlineData("{% endif %}", "unknown tag 'endif'")]
    [InlineData("{% macro m() %}{% endmacro %}", "'macro' tag is not supported")]
    [InlineData("{% include 'x' %}", "'include' tag is not supported")]
    [InlineData("{% break %}", "outside a loop")]
    [InlineData("{{ a $ b }}", "unexpected character")]
    [InlineData("{{ 99999999999999999999 }}", "too large")]
    [InlineData("{{ f(*args) }}", "not supported")]
    public void MalformedOrUnsupported_FailsToParse(string source, string expectedFragment)
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source));
        Assert.Contains(expectedFragment, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{{ x | frobnicate }}", "filter 'frobnicate' is not supported")]
    [InlineData("{{ x is frobnicated }}", "test 'frobnicated' is not supported")]
    [InlineData("{{ undefined_function() }}", "'undefined_function' is undefined")]
    [InlineData("{{ messages.append(1) }}", "'append' is undefined")]
    [InlineData("{{ 'a' + 1 }}", "unsupported operand")]
    [InlineData("{{ 1 // 0 }}", "division by zero")]
    [InlineData("{{ 2 ** 200 }}", "overflow")]
    [InlineData("{% set x = 1 %}{% set x.y = 2 %}", "non-namespace")]
    [InlineData("{% for x in none %}{% endfor %}", "not iterable")]
    [InlineData("{{ range(1000000) }}", "range() is limited")]
    [InlineData("{{ strftime_now('%Q') }}", "not supported")]
    [InlineData("{{ 'x' * 100000000 }}", "grew past")]
    public void UnsupportedOrInvalidAtRender_FailsWithChatTemplateException(string source, string expectedFragment)
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source).Render(Messages, new ChatTemplateContext()));
        Assert.Contains(expectedFragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunawayNestedLoops_StopAtTheStepLimit()
    {
        var template = ChatTemplate.Parse("{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}");

        var error = Assert.Throws<ChatTemplateException>(() => template.Render(Messages, new ChatTemplateContext()));
        Assert.Contains("steps", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExponentialStringGrowth_StopsAtTheSizeLimit()
    {
        var template = ChatTemplate.Parse("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}");

        var error = Assert.Throws<ChatTemplateException>(() => template.Render(Messages, new ChatTemplateContext()));
        Assert.Contains("grew past", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5000, "(", ")")]
    [InlineData(5000, "{% if true %}", "{% endif %}")]
    [InlineData(5000, "[", "]")]
    public void DeepNesting_FailsCleanlyInsteadOfOverflowingTheStack(int depth, string open, string close)
    {
        var source = "{{ " + string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth)) + " }}";
        if (open.StartsWith("{%", StringComparison.Ordinal))
            source = string.Concat(Enumerable.Repeat(open, depth)) + "x" + string.Concat(Enumerable.Repeat(close, depth));

        Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source));
    }

    [Fact]
    public void LongFilterChain_FailsCleanlyAtRender()
    {
        var source = "{{ 'x'" + string.Concat(Enumerable.Repeat(" | trim", 20000)) + " }}";

        Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source).Render(Messages, new ChatTemplateContext()));
    }
}
