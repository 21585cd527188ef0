namespace Livepeer.Runner.Pipelines.Segmentation;

/// <summary>One encoder output kept for the decoder, under the name the decoder's input has.</summary>
internal sealed record EmbeddingTensor(string Name, float[] Data, long[] Shape);

/// <summary>What the image encoder made of one image, and the size of the image it came from.</summary>
internal sealed record ImageEmbedding(int Width, int Height, IReadOnlyList<EmbeddingTensor> Tensors)
{
    public long Bytes => Tensors.Sum(t => (long)t.Data.Length * sizeof(float));
}

/// <summary>
/// The embeddings of the last few images a model saw, so that refining clicks on one image (the usual interactive
/// loop) runs only the small decoder. Keyed by a SHA-256 of the image; least recently used goes first. Two requests
/// for a new image at the same moment may both run the encoder; the second result simply replaces the first.
/// </summary>
internal sealed class ImageEmbeddingCache(int capacity)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<(string Key, ImageEmbedding Embedding)> _recent = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, ImageEmbedding Embedding)>> _byKey = new(StringComparer.Ordinal);

    public int Capacity { get; } = capacity;

    public int Count
    {
        get
        {
            lock (_lock)
                return _byKey.Count;
        }
    }

    public bool TryGet(string key, out ImageEmbedding embedding)
    {
        lock (_lock)
        {
            if (_byKey.TryGetValue(key, out var node))
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
                embedding = node.Value.Embedding;
                return true;
            }
        }

        embedding = null!;
        return false;
    }

    public void Add(string key, ImageEmbedding embedding)
    {
        if (Capacity <= 0)
            return;
        lock (_lock)
        {
            if (_byKey.Remove(key, out var existing))
                _recent.Remove(existing);
            _byKey[key] = _recent.AddFirst((key, embedding));
            while (_byKey.Count > Capacity)
            {
                var oldest = _recent.Last!;
                _recent.RemoveLast();
                _byKey.Remove(oldest.Value.Key);
            }
        }
    }
}
