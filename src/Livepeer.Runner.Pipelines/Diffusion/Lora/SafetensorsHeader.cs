using System.Text.Json;

namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>Parses and checks a safetensors JSON header against the size of the data section that follows it.</summary>
internal static class SafetensorsHeader
{
    private const string MetadataKey = "__metadata__";

    public static (Dictionary<string, SafetensorsTensor>, IReadOnlyDictionary<string, string>) Parse(byte[] header, long dataStart, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException($"The header is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException($"The header is a JSON {document.RootElement.ValueKind}, not an object.");

            var tensors = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(entry.Name))
                    throw new SafetensorsFormatException($"The header names '{entry.Name}' twice.");
                if (entry.Name == MetadataKey)
                    ReadMetadata(entry.Value, metadata);
                else
                    tensors.Add(entry.Name, ReadTensor(entry.Name, entry.Value, dataStart, dataLength));
            }

            EnsureNoOverlap(tensors.Values);
            return (tensors, metadata);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException($"{MetadataKey} is a JSON {value.ValueKind}, not an object of strings.");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new SafetensorsFormatException($"{MetadataKey} entry '{item.Name}' is a JSON {item.Value.ValueKind}, not a string.");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new SafetensorsFormatException($"{MetadataKey} names '{item.Name}' twice.");
        }
    }

    private static SafetensorsTensor ReadTensor(string name, JsonElement value, long dataStart, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException($"Tensor '{name}': its entry is a JSON {value.ValueKind}, not an object.");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new SafetensorsFormatException($"Tensor '{name}': no dtype string.");
        var dtype = dtypeElement.GetString()!;
        if (!SafetensorsDtypes.TryGetSize(dtype, out var elementSize))
            throw new SafetensorsFormatException($"Tensor '{name}': unknown dtype '{dtype}'.");

        var shape = ReadCounts(name, value, "shape", expected: null);
        var offsets = ReadCounts(name, value, "data_offsets", expected: 2);
        var (begin, end) = (offsets[0], offsets[1]);
        if (begin > end)
            throw new SafetensorsFormatException($"Tensor '{name}': data_offsets [{begin}, {end}] end before they begin.");
        if (end > dataLength)
            throw new SafetensorsFormatException($"Tensor '{name}': data_offsets [{begin}, {end}] run past the {dataLength}-byte data section.");

        long expectedBytes;
        try
        {
            expectedBytes = checked(shape.Aggregate(1L, (count, dim) => count * dim) * elementSize);
        }
        catch (OverflowException)
        {
            throw new SafetensorsFormatException($"Tensor '{name}': shape [{string.Join(", ", shape)}] is too large.");
        }

        if (expectedBytes != end - begin)
        {
            throw new SafetensorsFormatException(
                $"Tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype} is {expectedBytes} bytes, but data_offsets span {end - begin}.");
        }

        return new SafetensorsTensor(name, dtype, shape, dataStart + begin, dataStart + end);
    }

    private static long[] ReadCounts(string name, JsonElement value, string property, int? expected)
    {
        if (!value.TryGetProperty(property, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new SafetensorsFormatException($"Tensor '{name}': no {property} array.");
        var counts = new long[array.GetArrayLength()];
        if (expected is { } length && counts.Length != length)
            throw new SafetensorsFormatException($"Tensor '{name}': {property} has {counts.Length} entries, not {length}.");
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var count) || count < 0)
                throw new SafetensorsFormatException($"Tensor '{name}': {property} holds '{item.GetRawText()}', not a non-negative integer.");
            counts[i++] = count;
        }

        return counts;
    }

    private static void EnsureNoOverlap(IEnumerable<SafetensorsTensor> tensors)
    {
        SafetensorsTensor? previous = null;
        foreach (var tensor in tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.Begin))
        {
            if (previous is not null && tensor.Begin < previous.End)
                throw new SafetensorsFormatException($"Tensors '{previous.Name}' and '{tensor.Name}' overlap in the data section.");
            previous = tensor;
        }
    }
}
