using Livepeer.Runner.Contract;

namespace Livepeer.Runner.Http;

/// <summary>
/// Reads a request's fields with ai-runner's defaults and pydantic's coercions, collecting every shape error
/// instead of stopping at the first, so the 422 lists them all. Call <see cref="ThrowIfInvalid"/> once bound.
/// </summary>
internal abstract class RequestFields
{
    private readonly List<ValidationError> _errors = [];

    public IReadOnlyList<ValidationError> Errors => _errors;

    public string RequiredString(string name) => String(name, required: true) ?? "";

    public string OptionalString(string name, string fallback) => String(name, required: false) ?? fallback;

    public long Int(string name, long fallback) => IntOrNull(name, required: false) ?? fallback;

    public long? OptionalInt(string name) => IntOrNull(name, required: false);

    public double Float(string name, double fallback) => FloatOrNull(name) ?? fallback;

    public bool Bool(string name, bool fallback) => BoolOrNull(name) ?? fallback;

    public virtual UploadedFile RequiredFile(string name)
    {
        Add(Pydantic.Missing(name, null));
        return new UploadedFile("", [], 0);
    }

    public void ThrowIfInvalid()
    {
        if (_errors.Count > 0)
            throw new RequestValidationException(_errors);
    }

    protected void Add(ValidationError error) => _errors.Add(error);

    protected abstract string? String(string name, bool required);

    protected abstract long? IntOrNull(string name, bool required);

    protected abstract double? FloatOrNull(string name);

    protected abstract bool? BoolOrNull(string name);
}
