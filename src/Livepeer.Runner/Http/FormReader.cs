using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Livepeer.Runner.Http;

/// <summary>
/// Streams a multipart body part by part. File parts keep at most their route's limit (+1 byte, to know it was
/// exceeded) and drain the rest, so a 3 GB upload costs bounded memory and still gets the route's JSON error in
/// the contract's order. Text parts are bounded too. A form that is not multipart or urlencoded reads as empty,
/// which then fails validation as FastAPI's does.
/// </summary>
internal static class FormReader
{
    private const int MaxTextPartBytes = 16 * 1024 * 1024;
    private const int MaxParts = 256;

    public static async Task<FormFields> ReadAsync(HttpRequest request, long fileLimit, CancellationToken cancellationToken)
    {
        if (request.HasFormContentType && !IsMultipart(request, out _))
            return await ReadUrlEncodedAsync(request, cancellationToken);
        if (!IsMultipart(request, out var boundary))
            return FormFields.Empty();

        var text = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = new Dictionary<string, UploadedFile>(StringComparer.Ordinal);
        var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
        try
        {
            var parts = 0;
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (++parts > MaxParts)
                    throw new MalformedBodyException($"The form has more than {MaxParts} parts.");
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                    || disposition.Name.Value is not { Length: > 0 } rawName)
                    continue;

                var name = HeaderUtilities.RemoveQuotes(rawName).Value!;
                // Like Starlette, a part with a filename parameter is a file, even when the filename is empty.
                if (disposition.FileName.HasValue || disposition.FileNameStar.HasValue)
                    files[name] = await ReadFileAsync(section.Body, HeaderUtilities.RemoveQuotes(disposition.FileName).Value ?? "", fileLimit, cancellationToken);
                else
                    text[name] = await ReadTextAsync(name, section.Body, cancellationToken);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw new MalformedBodyException("There was an error parsing the body", e);
        }

        return new FormFields(text, files);
    }

    private static bool IsMultipart(HttpRequest request, out string boundary)
    {
        boundary = "";
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return false;
        boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value ?? "";
        if (boundary.Length is 0 or > 256)
            throw new MalformedBodyException("There was an error parsing the body");
        return true;
    }

    private static async Task<UploadedFile> ReadFileAsync(Stream body, string fileName, long limit, CancellationToken cancellationToken)
    {
        var kept = new MemoryStream();
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            var room = limit + 1 - kept.Length;
            if (room > 0)
                kept.Write(buffer, 0, (int)Math.Min(room, read));
            total += read;
        }

        return new UploadedFile(fileName, kept.ToArray(), total);
    }

    private static async Task<string> ReadTextAsync(string name, Stream body, CancellationToken cancellationToken)
    {
        var kept = new MemoryStream();
        var buffer = new byte[16384];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (kept.Length + read > MaxTextPartBytes)
                throw new Livepeer.Runner.Core.Errors.BadInputException($"Form field '{name}' is larger than {MaxTextPartBytes} bytes.");
            kept.Write(buffer, 0, read);
        }

        return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
    }

    private static async Task<FormFields> ReadUrlEncodedAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var form = await request.ReadFormAsync(cancellationToken);
            var text = form.ToDictionary(pair => pair.Key, pair => pair.Value.LastOrDefault() ?? "", StringComparer.Ordinal);
            return new FormFields(text, new Dictionary<string, UploadedFile>());
        }
        catch (InvalidDataException e)
        {
            throw new MalformedBodyException("There was an error parsing the body", e);
        }
    }
}
