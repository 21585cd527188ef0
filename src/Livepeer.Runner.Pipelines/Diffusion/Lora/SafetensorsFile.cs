using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Livepeer.Runner.Pipelines.Diffusion.Lora;

/// <summary>
/// A safetensors file opened for reading: an 8-byte little-endian header length, a JSON header mapping tensor names
/// to <c>{dtype, shape, data_offsets}</c> (plus an optional <c>__metadata__</c> of strings), then the raw
/// little-endian tensor bytes. The header is checked whole at open (its size bounded before it is read, every
/// tensor inside the file, none overlapping, each one's bytes exactly its shape times its dtype's size); tensors
/// are read one at a time through positional reads, so a large file is never held in memory at once.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    /// <summary>The safetensors library's own bound on the header; a larger length is a hostile or broken file.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const int ReadChunkBytes = 1 << 20;

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, SafetensorsTensor> _tensors;

    private SafetensorsFile(SafeFileHandle handle, Dictionary<string, SafetensorsTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        _handle = handle;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The header's <c>__metadata__</c> (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors, by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensor> Tensors => _tensors;

    /// <summary>Opens and validates <paramref name="path"/>; throws <see cref="SafetensorsFormatException"/> if malformed.</summary>
    public static SafetensorsFile Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            var (tensors, metadata) = ReadHeader(handle);
            return new SafetensorsFile(handle, tensors, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The tensor's values as float32 (from F32, F16 or BF16), in row-major order.</summary>
    public float[] ReadFloat32(SafetensorsTensor tensor)
    {
        if (!_tensors.TryGetValue(tensor.Name, out var own) || own != tensor)
            throw new ArgumentException($"Tensor '{tensor.Name}' is not one of this file's.", nameof(tensor));
        if (!SafetensorsDtypes.IsFloatConvertible(tensor.Dtype))
            throw new SafetensorsFormatException($"Tensor '{tensor.Name}' has dtype {tensor.Dtype}; only F32, F16 and BF16 can be read as float32.");
        if (tensor.ElementCount > Array.MaxLength)
            throw new SafetensorsFormatException($"Tensor '{tensor.Name}' has {tensor.ElementCount} elements, more than one array holds.");

        var values = new float[tensor.ElementCount];
        var elementSize = tensor.Dtype == "F32" ? 4 : 2;
        var buffer = new byte[(int)Math.Min(ReadChunkBytes, Math.Max(tensor.ByteLength, 1))];
        var written = 0;
        for (var offset = tensor.Begin; offset < tensor.End;)
        {
            var want = (int)Math.Min(buffer.Length, tensor.End - offset);
            ReadExactly(_handle, buffer.AsSpan(0, want), offset);
            Convert(tensor.Dtype, buffer.AsSpan(0, want), values.AsSpan(written, want / elementSize));
            written += want / elementSize;
            offset += want;
        }

        return values;
    }

    public void Dispose() => _handle.Dispose();

    private static void Convert(string dtype, ReadOnlySpan<byte> bytes, Span<float> values)
    {
        switch (dtype)
        {
            case "F32":
                for (var i = 0; i < values.Length; i++)
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
                break;
            case "F16":
                for (var i = 0; i < values.Length; i++)
                    values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
                break;
            default: // BF16: the upper half of a float32
                for (var i = 0; i < values.Length; i++)
                    values[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]) << 16);
                break;
        }
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        while (buffer.Length > 0)
        {
            var read = RandomAccess.Read(handle, buffer, offset);
            if (read == 0)
                throw new SafetensorsFormatException($"The file ended at byte {offset}, before the data its header describes.");
            buffer = buffer[read..];
            offset += read;
        }
    }

    private static (Dictionary<string, SafetensorsTensor>, IReadOnlyDictionary<string, string>) ReadHeader(SafeFileHandle handle)
    {
        var fileLength = RandomAccess.GetLength(handle);
        if (fileLength < 8)
            throw new SafetensorsFormatException($"The file is {fileLength} bytes, shorter than the 8-byte header length.");

        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(handle, prefix, 0);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
            throw new SafetensorsFormatException($"The header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit.");
        if ((long)headerLength > fileLength - 8)
            throw new SafetensorsFormatException($"The header length {headerLength} runs past the end of the {fileLength}-byte file.");

        var header = new byte[headerLength];
        ReadExactly(handle, header, 8);
        var dataStart = 8 + (long)headerLength;
        return SafetensorsHeader.Parse(header, dataStart, fileLength - dataStart);
    }
}
