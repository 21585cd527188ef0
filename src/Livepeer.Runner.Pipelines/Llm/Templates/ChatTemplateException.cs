using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Llm.Templates;

/// <summary>
/// A chat template could not be parsed or rendered: it is malformed, uses Jinja beyond our subset, exceeded a
/// resource limit, or called <c>raise_exception</c> (then the message is the template's own).
/// </summary>
public sealed class ChatTemplateException(string message, Exception? inner = null) : BadInputException(message, inner);
