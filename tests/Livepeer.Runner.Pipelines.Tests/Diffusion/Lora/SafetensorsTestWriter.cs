using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Livepeer.Runner.Pipelines.Tests.Diffusion.Lora;

/// <summary>
/// Writes small safetensors files for the tests: well-formed ones from named tensors, and hostile ones from a raw
/// header (and, if wanted, a lying header length). Files go in a temporary folder removed on dispose.
/// </summary>
internal sealed class SafetensorsTestWriter : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lora-tests-").FullName;
    private readonly List<(string Name, string Dtype, long[] Shape, byte[] Bytes)> _tensors = [];
    private int _files;

    public SafetensorsTestWriter F32(string name, long[] shape, params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return Raw(name, "F32", shape, bytes);
    }

    /// <summary>A 16-bit tensor (F16 or BF16) from its raw bit patterns.</summary>
    public SafetensorsTestWriter Bits16(string name, string dtype, long[] shape, params ushort[] bits)
    {
        var bytes = new byte[bits.Length * 2];
        for (var i = 0; i < bits.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), bits[i]);
        return Raw(name, dtype, shape, bytes);
    }

    public SafetensorsTestWriter Raw(string name, string dtype, long[] shape, byte[] bytes)
    {
        _tensors.Add((name, dtype, shape, bytes));
        return this;
    }

    /// <summary>Writes the tensors added so far (contiguous, in order) and clears them.</summary>
    public string Write(IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata is not null)
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, dtype, shape, bytes) in _tensors)
            {
                writer.WriteStartObject(name);
                writer.WriteString("dtype", dtype);
                writer.WriteStartArray("shape");
                foreach (var dim in shape)
                    writer.WriteNumberValue(dim);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + bytes.Length);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += bytes.Length;
            }

            writer.WriteEndObject();
        }

        var data = _tensors.SelectMany(t => t.Bytes).ToArray();
        _tensors.Clear();
        return WriteRaw(Encoding.UTF8.GetString(json.ToArray()), data);
    }

    /// <summary>A file with the given header text and data; <paramref name="headerLength"/> overrides the true length.</summary>
    public string WriteRaw(string header, byte[] data, ulong? headerLength = null)
    {
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, headerLength ?? (ulong)headerBytes.Length);
        return WriteBytes([.. prefix, .. headerBytes, .. data]);
    }

    public string WriteBytes(byte[] content)
    {
        var path = Path.Combine(_folder, $"file{_files++}.safetensors");
        File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
