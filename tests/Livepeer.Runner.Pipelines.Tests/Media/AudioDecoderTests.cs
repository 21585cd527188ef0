using System.Text;
using Livepeer.Runner.Core.Errors;


using Livepeer.Runner.Pipelines.Media;
using Livepeer.Runner.Pipelines.Tests.Whisper;

namespace Livepeer.Runner.Pipelines.Tests.Media;

/// <summary>ffmpeg as a child process on the real speech assets (MANIFEST G-JFK, G-SPEECH, Q7).</summary>
public sealed class AudioDecoderTests
{
    private const int JfkSamples = 176_000; // 11.0 s at 16 kHz (MANIFEST G-SPEECH)

    private static readonly AudioDecoder Decoder = new(new AudioDecoderOptions());

    private static async Task<float[]> DecodeFile(string path, AudioDecoder? decoder = null)
    {
        await using var file = File.OpenRead(path);
        return await (decoder ?? Decoder).DecodeAsync(file, CancellationToken.None);
    }

    private static Task<float[]> DecodeBytes(byte[] bytes, AudioDecoder? decoder = null) =>
        (decoder ?? Decoder).DecodeAsync(new MemoryStream(bytes), CancellationToken.None);

    [Fact]
    public async Task IsAvailable_WithInstalledFfmpeg_IsTrue()
    {
        Assert.True(await AudioDecoder.IsAvailableAsync());
    }

    [Fact]
    public async Task IsAvailable_WithMissingExecutable_IsFalse()
    {
        Assert.False(await AudioDecoder.IsAvailableAsync("/nonexistent/ffmpeg"));
    }

    [Fact]
    public async Task Decode_WithMissingExecutable_ThrowsEngineUnavailable()
    {
        var decoder = new AudioDecoder(new AudioDecoderOptions { FfmpegPath = "/nonexistent/ffmpeg" });
        await Assert.ThrowsAsync<EngineUnavailableException>(() => DecodeFile(AudioFiles.JfkWav, decoder));
    }

    [Fact]
    public async Task Decode_Wav16kMono_ReturnsTheSamplesUnchanged()
    {
        var expected = AudioFiles.ReadWav(AudioFiles.JfkWav);

        var samples = await DecodeFile(AudioFiles.JfkWav);

        Assert.Equal(JfkSamples, samples.Length);
        var maxDiff = expected.Zip(samples, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff < 1e-6, $"max |diff| {maxDiff}");
    }

    [Fact]
    public async Task Decode_Flac44kStereo24Bit_DownmixesAndResamplesTo16kMono()
    {
        var reference = AudioFiles.ReadWav(AudioFiles.JfkWav);

        var samples = await DecodeFile(AudioFiles.JfkFlac);

        Assert.InRange(samples.Length, JfkSamples - 160, JfkSamples + 160);
        Assert.True(Correlation(reference, samples) > 0.9, $"correlation {Correlation(reference, samples):F3}");
    }

    [Theory]
    [InlineData("jfk.mp3")]
    [InlineData("jfk.ogg")]
    [InlineData("jfk.opus.ogg")]
    [InlineData("jfk.m4a")]
    [InlineData("jfk.mp4")]
    [InlineData("jfk.webm")]
    [InlineData("jfk.flac")]
    [InlineData("jfk.22k-stereo.wav")]
    public async Task Decode_EveryContainer_GivesTheSameSpeech(string name)
    {
        var reference = AudioFiles.ReadWav(AudioFiles.JfkWav);

        var samples = await DecodeFile(AudioFiles.Converted(name));

        // Lossy codecs add encoder delay/padding (mp3 ~ 1105 samples at 16 kHz, aac 1024): allow 0.1 s.
        Assert.InRange(samples.Length, JfkSamples - 1600, JfkSamples + 1600);
        var rms = Math.Sqrt(samples.Average(s => (double)s * s));
        var referenceRms = Math.Sqrt(reference.Average(s => (double)s * s));
        Assert.InRange(rms, referenceRms * 0.8, referenceRms * 1.2);
    }

    [Fact]
    public async Task Decode_EmptyUpload_ThrowsUnsupportedMedia()
    {
        var e = await Assert.ThrowsAsync<UnsupportedMediaException>(() => DecodeBytes([]));
        Assert.Equal(AudioDecoder.MalformedMessage, e.Message);
    }

    [Fact]
    public async Task Decode_TextBytes_ThrowsUnsupportedMedia()
    {
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("this is not audio, just some text. ", 200)));
        await Assert.ThrowsAsync<UnsupportedMediaException>(() => DecodeBytes(text));
    }

    [Fact]
    public async Task Decode_PngImage_ThrowsUnsupportedMedia()
    {
        var png = await File.ReadAllBytesAsync(Livepeer.Runner.Testing.TestPaths.Asset("images", "chelsea.png"));
        await Assert.ThrowsAsync<UnsupportedMediaException>(() => DecodeBytes(png));
    }

    [Fact]
    public async Task Decode_TruncatedM4a_ThrowsUnsupportedMedia()
    {
        var m4a = await File.ReadAllBytesAsync(AudioFiles.Converted("jfk.m4a"));
        await Assert.ThrowsAsync<UnsupportedMediaException>(() => DecodeBytes(m4a[..(m4a.Length / 2)]));
    }

    [Fact]
    public async Task Decode_HlsPlaylistPointingAtALocalAudioFile_DoesNotReadIt()
    {
        // ffmpeg with the file protocol allowed decodes this playlist (checked by hand: 705,212 bytes of PCM from
        // the mp3 segment); the decoder must refuse it instead.
        var segment = AudioFiles.Converted("jfk.mp3");
        var playlist = $"#EXTM3U\n#EXT-X-TARGETDURATION:11\n#EXTINF:11,\nfile://{segment}\n#EXT-X-ENDLIST\n";
        await Assert.ThrowsAsync<UnsupportedMediaException>(() => DecodeBytes(Encoding.UTF8.GetBytes(playlist)));
    }

    [Fact]
    public async Task Decode_HlsPlaylistPointingAtEtcPasswd_Fails()
    {
        var playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n";
        await Assert.ThrowsAsync<UnsupportedMediaException>(() => DecodeBytes(Encoding.UTF8.GetBytes(playlist)));
    }

    [Fact]
    public async Task Decode_ConcatListPointingAtLocalFiles_DoesNotReadThem()
    {
        var list = $"ffconcat version 1.0\nfile '{AudioFiles.JfkWav}'\nfile /etc/passwd\n";
        await Assert.ThrowsAsync<UnsupportedMediaException>(() => DecodeBytes(Encoding.UTF8.GetBytes(list)));
    }

    [Fact]
    public async Task Decode_UploadOverTheSizeLimit_ThrowsPayloadTooLarge()
    {
        var decoder = new AudioDecoder(new AudioDecoderOptions { MaxInputBytes = 100_000 });
        await Assert.ThrowsAsync<PayloadTooLargeException>(() => DecodeFile(AudioFiles.JfkWav, decoder));
    }

    [Fact]
    public async Task Decode_UnseekableUploadOverTheSizeLimit_ThrowsPayloadTooLarge()
    {
        var decoder = new AudioDecoder(new AudioDecoderOptions { MaxInputBytes = 100_000 });
        await using var file = File.OpenRead(AudioFiles.JfkWav);
        await Assert.ThrowsAsync<PayloadTooLargeException>(() => decoder.DecodeAsync(new UnseekableStream(file), CancellationToken.None));
    }

    [Fact]
    public async Task Decode_AudioLongerThanTheLimit_ThrowsBadInput()
    {
        var decoder = new AudioDecoder(new AudioDecoderOptions { MaxDuration = TimeSpan.FromSeconds(5) });
        var e = await Assert.ThrowsAsync<BadInputException>(() => DecodeFile(AudioFiles.JfkWav, decoder));
        Assert.Contains("5 s", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decode_CancelledRequest_ThrowsOperationCanceled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await using var file = File.OpenRead(AudioFiles.JfkWav);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Decoder.DecodeAsync(file, cancelled.Token));
    }

    [Fact]
    public async Task Decode_UploadThatNeverEnds_TimesOutAsUnsupportedMedia()
    {
        var decoder = new AudioDecoder(new AudioDecoderOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        await using var file = File.OpenRead(AudioFiles.JfkWav);

        var e = await Assert.ThrowsAsync<UnsupportedMediaException>(() => decoder.DecodeAsync(new StallingStream(file, onStall: null), CancellationToken.None));

        Assert.IsType<TimeoutException>(e.InnerException);
    }

    [Fact]
    public async Task Decode_CancelledWhileFfmpegRuns_ThrowsOperationCanceled()
    {
        using var request = new CancellationTokenSource();
        await using var file = File.OpenRead(AudioFiles.JfkWav);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Decoder.DecodeAsync(new StallingStream(file, request.Cancel), request.Token));
    }

    private static double Correlation(float[] a, float[] b)
    {
        var n = Math.Min(a.Length, b.Length);
        double ab = 0, aa = 0, bb = 0;
        for (var i = 0; i < n; i++)
        {
            ab += a[i] * (double)b[i];
            aa += a[i] * (double)a[i];
            bb += b[i] * (double)b[i];
        }

        return ab / Math.Sqrt(aa * bb);
    }

    /// <summary>Gives the first 64 KiB of <paramref name="inner"/>, then calls <paramref name="onStall"/> and blocks until cancelled.</summary>
    private sealed class StallingStream(Stream inner, Action? onStall) : Stream
    {
        private int _given;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_given < 65536)
            {
                var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, 65536 - _given)], cancellationToken);
                _given += read;
                return read;
            }

            onStall?.Invoke();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class UnseekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
