namespace Livepeer.Runner.Pipelines.Llm.Templates;

// Runtime values that are not plain data. Plain data is null (none), bool, long, double, string,
// List<object?> (lists and tuples) and OrderedDictionary<string, object?> (dicts).

/// <summary>
/// A missing variable or attribute, as Jinja's default Undefined: falsy, renders as empty, iterates as empty,
/// and fails only when used in arithmetic, called or looked into.
/// </summary>
internal sealed class Undefined(string name)
{
    public string Name { get; } = name;

    public ChatTemplateException Failure() => new($"Chat template error: '{Name}' is undefined.");
}

/// <summary>An object whose attributes a template may read (<c>loop.index</c>, <c>ns.found</c>).</summary>
internal interface ITemplateObject
{
    bool TryGetAttribute(string name, out object? value);
}

/// <summary><c>namespace(...)</c>: the one mutable object, so loops can carry state out of their scope.</summary>
internal sealed class TemplateNamespace : ITemplateObject
{
    public OrderedDictionary<string, object?> Attributes { get; } = [];

    public bool TryGetAttribute(string name, out object? value) => Attributes.TryGetValue(name, out value);
}

/// <summary>The <c>loop</c> variable inside a for-loop.</summary>
internal sealed class LoopInfo(IReadOnlyList<object?> items) : ITemplateObject
{
    public int Index0 { get; set; }

    public bool TryGetAttribute(string name, out object? value)
    {
        value = name switch
        {
            "index0" => (long)Index0,
            "index" => (long)Index0 + 1,
            "revindex" => (long)(items.Count - Index0),
            "revindex0" => (long)(items.Count - Index0 - 1),
            "first" => Index0 == 0,
            "last" => Index0 == items.Count - 1,
            "length" => (long)items.Count,
            "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("loop.previtem"),
            "nextitem" => Index0 < items.Count - 1 ? items[Index0 + 1] : new Undefined("loop.nextitem"),
            "depth" => 1L,
            "depth0" => 0L,
            _ => new Undefined("loop." + name),
        };
        return value is not Undefined;
    }
}

/// <summary>A global function such as <c>raise_exception</c> or <c>range</c>.</summary>
internal sealed class TemplateFunction(string name, Func<CallArguments, object?> invoke)
{
    public string Name { get; } = name;

    public object? Invoke(CallArguments arguments) => invoke(arguments);
}

/// <summary>Evaluated arguments of a call, filter or test, with Python-style positional-or-keyword lookup.</summary>
internal sealed class CallArguments(string callee, IReadOnlyList<object?> positional, IReadOnlyList<(string Name, object? Value)> keywords)
{
    public static readonly object Missing = new();

    public string Callee { get; } = callee;

    public int Count => positional.Count;

    public IReadOnlyList<(string Name, object? Value)> Keywords => keywords;

    /// <summary>The argument at <paramref name="position"/> or named <paramref name="name"/>, else <paramref name="fallback"/>.</summary>
    public object? Get(int position, string name, object? fallback)
    {
        if (position < positional.Count)
            return positional[position];
        foreach (var (key, value) in keywords)
        {
            if (key == name)
                return value;
        }

        return fallback;
    }

    public object? Required(int position, string name) =>
        Get(position, name, Missing) is var value && value == Missing
            ? throw new ChatTemplateException($"Chat template error: {Callee}() is missing its '{name}' argument.")
            : value;

    public IReadOnlyList<object?> PositionalFrom(int position) => positional.Skip(position).ToList();

    /// <summary>Rejects extra positional arguments and unknown keywords, so typos fail loudly.</summary>
    public CallArguments Accepting(int maxPositional, params string[] names)
    {
        if (positional.Count > maxPositional)
            throw new ChatTemplateException($"Chat template error: {Callee}() takes at most {maxPositional} positional arguments.");
        foreach (var (key, _) in keywords)
        {
            if (Array.IndexOf(names, key) < 0)
                throw new ChatTemplateException($"Chat template error: {Callee}() got an unexpected argument '{key}'.");
        }

        return this;
    }
}
