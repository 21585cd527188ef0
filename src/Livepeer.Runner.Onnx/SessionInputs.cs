using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Onnx;

/// <summary>
/// Values a session is given on every run beside its caller's own inputs, by name: a LoRA adapter set's low-rank
/// weights, fed to the branches a shared session carries for them. The values belong to whoever made them.
/// </summary>
public sealed class SessionInputs
{
    private readonly HashSet<string> _names;

    public SessionInputs(IReadOnlyList<string> names, IReadOnlyList<OrtValue> values)
    {
        if (names.Count != values.Count)
            throw new ArgumentException($"{names.Count} names for {values.Count} values.", nameof(values));
        Names = names;
        Values = values;
        _names = new HashSet<string>(names, StringComparer.Ordinal);
    }

    public static SessionInputs None { get; } = new([], []);

    public IReadOnlyList<string> Names { get; }

    public IReadOnlyList<OrtValue> Values { get; }

    public bool Contains(string name) => _names.Contains(name);

    /// <summary>The inputs of <paramref name="session"/> other than these: the ones its caller feeds.</summary>
    public IReadOnlyDictionary<string, NodeMetadata> OthersOf(InferenceSession session) =>
        session.InputMetadata.Where(i => !_names.Contains(i.Key)).ToDictionary();

    /// <summary>Binds every value to its name (on CUDA, copying it to the device once for all the binding's runs).</summary>
    public void BindTo(OnnxBinding binding)
    {
        for (var i = 0; i < Names.Count; i++)
            binding.BindInput(Names[i], Values[i]);
    }
}
