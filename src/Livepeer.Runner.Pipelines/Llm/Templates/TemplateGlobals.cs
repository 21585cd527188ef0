using System.Globalization;
using System.Text;

namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>The raise from <c>raise_exception('…')</c>: the template's own message, kept apart from engine errors.</summary>
internal sealed class TemplateRaisedException(string message) : Exception(message);

/// <summary>
/// Global functions: Jinja's <c>range</c>, <c>namespace</c> and <c>dict</c>, plus what transformers adds for chat
/// templates, <c>raise_exception</c> and <c>strftime_now</c> (on an injected clock, so renders are reproducible).
/// </summary>
internal static class TemplateGlobals
{
    public static Dictionary<string, object?> Create(TimeProvider clock) => new()
    {
        ["raise_exception"] = new TemplateFunction("raise_exception", args =>
            throw new TemplateRaisedException(TemplateValues.ToText(args.Accepting(1).Required(0, "message")))),
        ["range"] = new TemplateFunction("range", Range),
        ["namespace"] = new TemplateFunction("namespace", Namespace),
        ["dict"] = new TemplateFunction("dict", Dict),
        ["strftime_now"] = new TemplateFunction("strftime_now", args =>
            Strftime(clock.GetLocalNow(), TemplateValues.ToText(args.Accepting(1).Required(0, "format")))),
    };

    private static List<object?> Range(CallArguments args)
    {
        args.Accepting(3);
        long Integer(int position) => args.Required(position, "stop") is long value
            ? value
            : throw new ChatTemplateException("Chat template error: range() takes integers.");
        var (start, stop, step) = args.Count switch
        {
            1 => (0L, Integer(0), 1L),
            2 => (Integer(0), Integer(1), 1L),
            3 => (Integer(0), Integer(1), Integer(2)),
            _ => throw new ChatTemplateException("Chat template error: range() takes one to three integers."),
        };
        if (step == 0)
            throw new ChatTemplateException("Chat template error: range() step must not be zero.");
        var count = step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / -step;
        if (count > TemplateLimits.MaxRange)
            throw new ChatTemplateException($"Chat template error: range() is limited to {TemplateLimits.MaxRange} items.");
        var result = new List<object?>();
        for (var i = 0L; i < count; i++)
            result.Add(start + (i * step));
        return result;
    }

    private static TemplateNamespace Namespace(CallArguments args)
    {
        var ns = new TemplateNamespace();
        foreach (var initial in args.PositionalFrom(0))
        {
            if (initial is not OrderedDictionary<string, object?> dict)
                throw new ChatTemplateException("Chat template error: namespace() takes keyword arguments or a dict.");
            foreach (var (key, value) in dict)
                ns.Attributes[key] = value;
        }

        foreach (var (key, value) in args.Keywords)
            ns.Attributes[key] = value;
        return ns;
    }

    private static OrderedDictionary<string, object?> Dict(CallArguments args)
    {
        var dict = new OrderedDictionary<string, object?>();
        foreach (var (key, value) in args.Keywords)
            dict[key] = value;
        return dict;
    }

    /// <summary>Python's strftime for the directives date templates use; others fail rather than print garbage.</summary>
    public static string Strftime(DateTimeOffset now, string format)
    {
        var culture = CultureInfo.InvariantCulture;
        var builder = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length)
            {
                builder.Append(format[i]);
                continue;
            }

            // glibc's %-d style drops the zero padding.
            var unpadded = format[i + 1] == '-' && i + 2 < format.Length;
            var directive = format[i + (unpadded ? 2 : 1)];
            i += unpadded ? 2 : 1;
            var text = directive switch
            {
                'd' => now.Day.ToString("00", culture),
                'm' => now.Month.ToString("00", culture),
                'Y' => now.Year.ToString("0000", culture),
                'y' => (now.Year % 100).ToString("00", culture),
                'H' => now.Hour.ToString("00", culture),
                'I' => ((now.Hour + 11) % 12 + 1).ToString("00", culture),
                'M' => now.Minute.ToString("00", culture),
                'S' => now.Second.ToString("00", culture),
                'j' => now.DayOfYear.ToString("000", culture),
                'p' => now.Hour < 12 ? "AM" : "PM",
                'b' => now.ToString("MMM", culture),
                'B' => now.ToString("MMMM", culture),
                'a' => now.ToString("ddd", culture),
                'A' => now.ToString("dddd", culture),
                '%' => "%",
                _ => throw new ChatTemplateException($"Chat template error: strftime directive '%{directive}' is not supported."),
            };
            builder.Append(unpadded && text.Length > 1 && text[0] == '0' ? text[1..] : text);
        }

        return builder.ToString();
    }
}
