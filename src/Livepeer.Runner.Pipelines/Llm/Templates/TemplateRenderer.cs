using System.Runtime.CompilerServices;
using System.Text;

namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>
/// Executes a parsed template against variables. Scoping follows Jinja: a for-loop body gets a fresh scope each
/// iteration (so <c>set</c> inside a loop does not leak out; templates use <c>namespace()</c> for that), while
/// <c>if</c> blocks share the enclosing scope.
/// </summary>
internal sealed partial class TemplateRenderer
{
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    private sealed class Scope(Scope? parent)
    {
        public Dictionary<string, object?> Variables { get; } = [];

        public bool TryFind(string name, out object? value)
        {
            for (var scope = this; scope is not null; scope = scope.Parent)
            {
                if (scope.Variables.TryGetValue(name, out value))
                    return true;
            }

            value = null;
            return false;
        }

        public Scope? Parent { get; } = parent;
    }

    private const int MaxDepth = 256;

    private readonly Dictionary<string, object?> _globals;
    private Scope _scope;
    private int _steps;
    private int _depth;

    private TemplateRenderer(Dictionary<string, object?> globals, Dictionary<string, object?> variables)
    {
        _globals = globals;
        _scope = new Scope(null);
        foreach (var (name, value) in variables)
            _scope.Variables[name] = value;
    }

    public static string Render(IReadOnlyList<Statement> template, Dictionary<string, object?> globals, Dictionary<string, object?> variables)
    {
        var renderer = new TemplateRenderer(globals, variables);
        var output = new StringBuilder();
        renderer.Execute(template, output);
        return output.ToString();
    }

    private Flow Execute(IReadOnlyList<Statement> statements, StringBuilder output)
    {
        foreach (var statement in statements)
        {
            Step();
            var flow = statement switch
            {
                TextStatement text => Write(output, text.Text),
                OutputStatement print => Write(output, TemplateValues.ToText(Evaluate(print.Value))),
                IfStatement branch => Execute(TemplateValues.IsTruthy(Evaluate(branch.Condition)) ? branch.Then : branch.Else, output),
                ForStatement loop => ExecuteFor(loop, output),
                SetStatement set => ExecuteSet(set),
                SetBlockStatement setBlock => ExecuteSetBlock(setBlock),
                GenerationStatement generation => Execute(generation.Body, output),
                BreakStatement => Flow.Break,
                ContinueStatement => Flow.Continue,
                _ => throw new ChatTemplateException($"Chat template error on line {statement.Line}: unsupported statement."),
            };
            if (flow != Flow.Normal)
                return flow;
        }

        return Flow.Normal;
    }

    private static Flow Write(StringBuilder output, string text)
    {
        if (output.Length + (long)text.Length > TemplateLimits.MaxTextLength)
            throw new ChatTemplateException($"Chat template error: the rendered prompt grew past {TemplateLimits.MaxTextLength} characters.");
        output.Append(text);
        return Flow.Normal;
    }

    private Flow ExecuteFor(ForStatement loop, StringBuilder output)
    {
        var source = Evaluate(loop.Items);
        if (source is null)
            throw new ChatTemplateException($"Chat template error on line {loop.Line}: 'NoneType' object is not iterable.");
        var items = TemplateValues.Iterate(source);
        if (loop.Filter is not null)
            items = items.Where(item => WithLoopScope(loop, item, null, () => TemplateValues.IsTruthy(Evaluate(loop.Filter)))).ToList();

        var info = new LoopInfo(items);
        for (var i = 0; i < items.Count; i++)
        {
            info.Index0 = i;
            var flow = WithLoopScope(loop, items[i], info, () => Execute(loop.Body, output));
            if (flow == Flow.Break)
                break;
        }

        return items.Count == 0 ? Execute(loop.Else, output) : Flow.Normal;
    }

    private T WithLoopScope<T>(ForStatement loop, object? item, LoopInfo? info, Func<T> body)
    {
        var outer = _scope;
        _scope = new Scope(outer);
        try
        {
            Bind(loop.Targets, item, loop.Line);
            if (info is not null)
                _scope.Variables["loop"] = info;
            return body();
        }
        finally
        {
            _scope = outer;
        }
    }

    private Flow ExecuteSet(SetStatement set)
    {
        var value = Evaluate(set.Value);
        if (set.Attribute is null)
        {
            Bind(set.Targets, value, set.Line);
            return Flow.Normal;
        }

        var target = Lookup(set.Targets[0]);
        if (target is not TemplateNamespace ns)
            throw new ChatTemplateException($"Chat template error on line {set.Line}: cannot assign attribute on non-namespace object '{set.Targets[0]}'.");
        ns.Attributes[set.Attribute] = value;
        return Flow.Normal;
    }

    private Flow ExecuteSetBlock(SetBlockStatement set)
    {
        var captured = new StringBuilder();
        Execute(set.Body, captured);
        _scope.Variables[set.Target] = captured.ToString();
        return Flow.Normal;
    }

    /// <summary>Assigns one name, or unpacks a sequence into several (<c>for key, value in …</c>).</summary>
    private void Bind(IReadOnlyList<string> targets, object? value, int line)
    {
        if (targets.Count == 1)
        {
            _scope.Variables[targets[0]] = value;
            return;
        }

        if (value is not List<object?> values || values.Count != targets.Count)
            throw new ChatTemplateException($"Chat template error on line {line}: cannot unpack {TemplateValues.TypeName(value)} into {targets.Count} names.");
        for (var i = 0; i < targets.Count; i++)
            _scope.Variables[targets[i]] = values[i];
    }

    private object? Lookup(string name)
    {
        if (_scope.TryFind(name, out var value) || _globals.TryGetValue(name, out value))
            return value;
        return new Undefined(name);
    }

    private void Step()
    {
        if (++_steps > TemplateLimits.MaxSteps)
            throw new ChatTemplateException($"Chat template error: rendering took more than {TemplateLimits.MaxSteps} steps; the template may loop without end.");
    }

    private void Enter()
    {
        if (++_depth > MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new ChatTemplateException($"Chat template error: expressions nest deeper than {MaxDepth} levels.");
    }
}
