using Livepeer.Runner.Pipelines.Llm.Templates;

namespace Livepeer.Runner.Pipelines.Tests.Llm;

/// <summary>The Jinja subset itself, one behaviour per test, with transformers' trim_blocks/lstrip_blocks on.</summary>
public sealed class ChatTemplateLanguageTests
{
    private static readonly ChatMessage[] Messages = [new("system", "Be brief."), new("user", "Hi"), new("assistant", "Hello")];

    private static string Render(string source, ChatTemplateContext? context = null) =>
        ChatTemplate.Parse(source).Render(Messages, context ?? new ChatTemplateContext { BosToken = "<s>", EosToken = "</s>" });

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }

    [Theory]
    [InlineData("a  {{- 'b' -}}  c", "abc")]
    [InlineData("a\n  {%- if true -%}\n  b  {%- endif %}", "ab")]
    [InlineData("{# note #}x{#- note -#}  y", "xy")]
    [InlineData("{{ 'a' }}\n{{ 'b' }}", "a\nb")]
    public void WhitespaceControl_StripsAsMarked(string source, string expected) => Assert.Equal(expected, Render(source));

    [Fact]
    public void TrimAndLstripBlocks_DropBlockLineIndentAndNewline() =>
        Assert.Equal("x\ny\n", Render("{% for v in ['x', 'y'] %}\n    {% if v %}\n{{ v }}\n    {% endif %}\n{% endfor %}\n"));

    [Fact]
    public void PlusMarker_KeepsIndentAndNewline() => Assert.Equal("  \n", Render("  {%+ if true +%}\n{% endif %}"));

    [Fact]
    public void Loop_ExposesIndexFirstLastAndLength() =>
        Assert.Equal("0/1/3/T/F 1/2/3/F/F 2/3/3/F/T ",
            Render("{% for m in messages %}{{ loop.index0 }}/{{ loop.index }}/{{ loop.length }}/{{ 'T' if loop.first else 'F' }}/{{ 'T' if loop.last else 'F' }} {% endfor %}"));

    [Fact]
    public void Loop_FilterElseBreakAndContinue() =>
        Assert.Equal("1,3,|none", Render("{% for i in range(10) if i % 2 %}{% if i > 3 %}{% break %}{% endif %}{{ i }},{% endfor %}|{% for x in [] %}x{% else %}none{% endfor %}"));

    [Fact]
    public void Loop_UnpacksItemsIntoNames() =>
        Assert.Equal("a=1;b=2;", Render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}"));

    [Fact]
    public void SetInsideLoop_DoesNotLeakButNamespaceDoes() =>
        Assert.Equal("0 3", Render("{% set n = 0 %}{% set ns = namespace(n=0) %}{% for m in messages %}{% set n = n + 1 %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ n }} {{ ns.n }}"));

    [Fact]
    public void SetInsideIf_ChangesTheEnclosingScope() =>
        Assert.Equal("2", Render("{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}"));

    [Fact]
    public void SetBlock_CapturesRenderedText() => Assert.Equal("[hi]", Render("{% set t %}hi{% endset %}[{{ t }}]"));

    [Fact]
    public void Subscripts_AttributesAndSlices() =>
        Assert.Equal("system|Hi|2|Hello|lo|olleH", Render(
            "{{ messages[0]['role'] }}|{{ messages[1].content }}|{{ messages[1:] | length }}|{{ messages[-1].content }}|{{ messages[-1].content[3:] }}|{{ messages[2].content[::-1] }}"));

    [Theory]
    [InlineData("{{ '  x  ' | trim }}", "x")]
    [InlineData("{{ messages | length }}", "3")]
    [InlineData("{{ 'aB' | upper }}{{ 'aB' | lower }}", "ABab")]
    [InlineData("{{ 'hello world' | capitalize }}", "Hello world")]
    [InlineData("{{ missing | default('d') }}{{ '' | default('e', true) }}", "de")]
    [InlineData("{{ ['a', 'b'] | join(', ') }}", "a, b")]
    [InlineData("{{ 'a-b-c' | replace('-', '+') }}", "a+b+c")]
    [InlineData("{{ (messages | first).role }}{{ (messages | last).role }}", "systemassistant")]
    [InlineData("{{ messages | selectattr('role', 'equalto', 'user') | list | length }}", "1")]
    [InlineData("{{ ['a', 'code', 'b'] | reject('equalto', 'code') | join(',') }}", "a,b")]
    [InlineData("{{ messages | map(attribute='role') | join(',') }}", "system,user,assistant")]
    public void Filters_BehaveAsInJinja(string source, string? expected)
    {
        if (expected is null)
            Assert.Throws<ChatTemplateException>(() => Render(source));
        else
            Assert.Equal(expected, Render(source));
    }

    [Fact]
    public void ToJson_MatchesPythonJsonDumps() =>
        Assert.Equal("{\"a\": [1, 2.5, true, null], \"b\": \"é\\n\\\"q\\\"\"}", Render("{{ {'a': [1, 2.5, true, none], 'b': 'é\\n\"q\"'} | tojson }}"));

    [Fact]
    public void ToJson_WithIndent_PutsItemsOnLines() =>
        Assert.Equal("{\n    \"a\": [\n        1\n    ]\n}", Render("{{ {'a': [1]} | tojson(indent=4) }}"));

    [Theory]
    [InlineData("{{ '  x ' .strip() }}|{{ 'xx'.lstrip('x') }}|{{ 'ab '.rstrip() }}", "x||ab")]
    [InlineData("{{ 'abc'.startswith('a') }}{{ 'abc'.endswith(('x', 'c')) }}", "TrueTrue")]
    [InlineData("{{ ' a  b '.split() | join('|') }}/{{ 'a,b,,c'.split(',') | length }}", "a|b/4")]
    [InlineData("{{ 'hello there'.title() }}{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}", "Hello ThereABab")]
    [InlineData("{{ {'a': 1}.get('a') }}{{ {'a': 1}.get('b', 'z') }}{{ {'a': 1}.get('b') }}", "1zNone")]
    [InlineData("{{ {'a': 1, 'b': 2}.keys() | join }}", "ab")]
    public void Methods_StringAndDict(string source, string expected) => Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("{{ 7 // 2 }},{{ -7 // 2 }},{{ -7 % 3 }},{{ 7 / 2 }},{{ 2 ** 10 }},{{ 3 * 'ab' }}", "3,-4,2,3.5,1024,ababab")]
    [InlineData("{{ 1 ~ 'a' ~ none }}", "1aNone")]
    [InlineData("{{ 'a' in 'cat' }}{{ 'x' not in ['x'] }}{{ 'role' in messages[0] }}", "TrueFalseTrue")]
    [InlineData("{{ 1 < 2 <= 2 }}{{ 'b' > 'a' }}{{ [1] == [1] }}{{ 1 == 1.0 }}", "TrueTrueTrueTrue")]
    [InlineData("{{ none or 'x' }}{{ 0 and 'y' }}{{ not '' }}", "x0True")]
    [InlineData("{{ [1, 2] + [3] }}{{ {'k': 'v'} }}", "[1, 2, 3]{'k': 'v'}")]
    public void Operators_HavePythonMeaning(string source, string expected) => Assert.Equal(expected, Render(source));

    [Theory]
    [InlineData("x is defined", "False")]
    [InlineData("x is not defined", "True")]
    [InlineData("none is none", "True")]
    [InlineData("'s' is string", "True")]
    [InlineData("messages[0] is mapping", "True")]
    [InlineData("messages is iterable", "True")]
    [InlineData("messages is sequence", "True")]
    [InlineData("3 is number", "True")]
    [InlineData("'3' is number", "False")]
    [InlineData("6 is divisibleby 3", "True")]
    public void Tests_Answer(string test, string expected) => Assert.Equal(expected, Render("{{ " + test + " }}"));

    [Fact]
    public void Undefined_IsFalsyEmptyAndIterableAsNothing() =>
        Assert.Equal("[]0|no|", Render("[{{ nothing }}]{{ nothing | length }}|{% if nothing %}yes{% else %}no{% endif %}|{% for x in nothing %}x{% endfor %}"));

    [Fact]
    public void Undefined_InArithmetic_Fails()
    {
        var error = Assert.Throws<ChatTemplateException>(() => Render("{{ nothing + 'x' }}"));
        Assert.Contains("'nothing' is undefined", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingAttributeOfDefinedValue_IsUndefinedNotAnError() =>
        Assert.Equal("False", Render("{{ messages[0].content.content is defined }}"));

    [Fact]
    public void StrftimeNow_UsesTheInjectedClock() =>
        Assert.Equal("05 Mar 2025", Render("{{ strftime_now('%d %b %Y') }}",
            new ChatTemplateContext { Clock = new FixedClock(new DateTimeOffset(2025, 3, 5, 10, 0, 0, TimeSpan.Zero)) }));

    [Fact]
    public void ContextVariables_ReachTheTemplate() =>
        Assert.Equal("<s>|</s>|True|<pad>", Render("{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}|{{ pad_token }}",
            new ChatTemplateContext { BosToken = "<s>", EosToken = "</s>", AddGenerationPrompt = true, OtherTokens = new Dictionary<string, string> { ["pad_token"] = "<pad>" } }));

    [Fact]
    public void RaiseException_BecomesChatTemplateExceptionWithTheTemplatesMessage() =>
        Assert.Equal("bad roles", Assert.Throws<ChatTemplateException>(() => Render("{{ raise_exception('bad roles') }}")).Message);
}
