using System.Text;
using System.Text.Json;
using Livepeer.Runner.Core.Errors;

namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>A rectangular nested JSON array of numbers read as one flat row-major list plus its shape.</summary>
internal sealed record JsonNumberArray(double[] Values, int[] Shape)
{
    private const int MaxDepth = 4;

    /// <summary>Parses <paramref name="json"/>; null when it is JSON <c>null</c>. Malformed JSON carries the endpoint's message.</summary>
    public static JsonNumberArray? Parse(string field, string json, int maxValues)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read())
                throw new BadInputException($"Error parsing JSON for {field}: the value is empty");
            if (reader.TokenType == JsonTokenType.Null)
            {
                ReadToEnd(ref reader);
                return null;
            }

            if (reader.TokenType != JsonTokenType.StartArray)
            {
                ReadToEnd(ref reader); // a syntax error later in the text is still a JSON error first
                throw new BadInputException($"{field} must be a JSON array of numbers.");
            }

            var state = new ArrayState(field, maxValues);
            ReadArray(ref reader, 0, state);
            ReadToEnd(ref reader);
            return state.Result();
        }
        catch (JsonException e)
        {
            throw new BadInputException($"Error parsing JSON for {field}: {e.Message}");
        }
    }

    public int Count => Values.Length;

    /// <summary>The shape with leading axes of size 1 dropped until it has at most <paramref name="rank"/> axes (a batch of one).</summary>
    public int[] ShapeUpToRank(int rank)
    {
        var start = 0;
        while (Shape.Length - start > rank && Shape[start] == 1)
            start++;
        return Shape[start..];
    }

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    /// <summary>Reads the elements of one array at <paramref name="depth"/> (the reader is on its StartArray).</summary>
    private static void ReadArray(ref Utf8JsonReader reader, int depth, ArrayState state)
    {
        if (depth >= MaxDepth)
            throw new BadInputException($"{state.Field} is nested more than {MaxDepth} deep.");
        var length = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.Number)
            {
                state.AddNumber(ref reader, depth);
            }
            else if (reader.TokenType == JsonTokenType.StartArray)
            {
                if (state.LeafDepth >= 0 && state.LeafDepth <= depth)
                    throw state.Ragged();
                ReadArray(ref reader, depth + 1, state);
            }
            else
            {
                throw new BadInputException($"{state.Field} must hold only numbers (found {reader.TokenType}).");
            }

            length++;
        }

        state.Close(depth, length);
    }

    private static void ReadToEnd(ref Utf8JsonReader reader)
    {
        while (reader.Read())
        {
        }
    }


    /// <summary>What the walk has seen: the numbers, each level's length, the depth at which numbers sit.</summary>
    private sealed class ArrayState(string field, int maxValues)
    {
        private readonly List<double> _values = [];
        private readonly int[] _lengths = [-1, -1, -1, -1];

        public string Field { get; } = field;

        public int LeafDepth { get; private set; } = -1;

        public void AddNumber(ref Utf8JsonReader reader, int depth)
        {
            if (LeafDepth == -1)
                LeafDepth = depth;
            else if (LeafDepth != depth)
                throw Ragged();
            if (_values.Count >= maxValues)
                throw new BadInputException($"{Field} has more than {maxValues} numbers.");
            if (!reader.TryGetDouble(out var value) || !double.IsFinite(value))
                throw new BadInputException($"{Field} holds a number out of range.");
            _values.Add(value);
        }

        public void Close(int depth, int length)
        {
            if (_lengths[depth] == -1)
                _lengths[depth] = length;
            else if (_lengths[depth] != length)
                throw Ragged();
        }

        public JsonNumberArray Result()
        {
            var rank = LeafDepth >= 0 ? LeafDepth + 1 : Array.IndexOf(_lengths, -1) is var end and >= 0 ? end : _lengths.Length;
            var shape = _lengths[..rank];
            var product = 1L;
            foreach (var length in shape)
                product *= length;
            if (product != _values.Count)
                throw Ragged();
            return new JsonNumberArray([.. _values], shape);
        }

        public BadInputException Ragged() =>
            new($"{Field} must be a rectangular array of numbers (every row the same length, numbers only at the innermost level).");
    }
}
