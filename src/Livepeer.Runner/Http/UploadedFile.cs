namespace Livepeer.Runner.Http;

/// <summary>
/// A file part of a multipart request. At most <c>limit + 1</c> bytes are kept in memory; <see cref="Length"/> is the
/// full size sent, so a route can answer "too large" after its earlier checks without ever buffering the whole upload.
/// </summary>
public sealed record UploadedFile(string FileName, byte[] Content, long Length)
{
    public bool IsTruncated => Length > Content.Length;
}
