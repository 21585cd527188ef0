using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Livepeer.Runner.Onnx;

/// <summary>
/// ONNX Runtime's <c>AddExternalInitializers</c> (C API, since 1.13), which the C# binding does not expose: values for
/// named initializers that replace the graph's own when the session loads the model, before its graph optimizations
/// (unlike <c>AddInitializer</c>, whose values are put in place after them and are refused, with only a log warning,
/// when they lie on another device than the one the initializer is planned on, e.g. host values for a CUDA session).
/// Host values are copied to the device as the graph's own weights are. The function is taken from the native API
/// table at the offset the C# binding's own mirror of that table gives it.
/// </summary>
internal static class ExternalInitializers
{
    private const uint ApiVersion = 13;

    private static readonly Lazy<Api> Functions = new(Bind);

    [UnmanagedFunctionPointer(CallingConvention.Winapi)]
    private delegate IntPtr GetApiFn(uint version);

    [UnmanagedFunctionPointer(CallingConvention.Winapi)]
    private delegate IntPtr AddExternalInitializersFn(IntPtr options, IntPtr[] names, IntPtr[] values, UIntPtr count);

    [UnmanagedFunctionPointer(CallingConvention.Winapi)]
    private delegate IntPtr GetErrorMessageFn(IntPtr status);

    [UnmanagedFunctionPointer(CallingConvention.Winapi)]
    private delegate void ReleaseStatusFn(IntPtr status);

    /// <summary>Gives <paramref name="options"/> the values; they must outlive every session made with it. Throws <see cref="InvalidOperationException"/> when ONNX Runtime refuses them.</summary>
    public static void Add(SessionOptions options, IReadOnlyList<(string Name, OrtValue Value)> initializers)
    {
        if (initializers.Count == 0)
            return;
        var api = Functions.Value;
        var names = new IntPtr[initializers.Count];
        try
        {
            var values = new IntPtr[initializers.Count];
            for (var i = 0; i < initializers.Count; i++)
            {
                names[i] = Marshal.StringToCoTaskMemUTF8(initializers[i].Name);
                values[i] = api.HandleOf(initializers[i].Value);
            }

            var status = api.AddExternalInitializers(options.DangerousGetHandle(), names, values, (UIntPtr)initializers.Count);
            GC.KeepAlive(options);
            if (status != IntPtr.Zero)
            {
                var message = Marshal.PtrToStringUTF8(api.GetErrorMessage(status));
                api.ReleaseStatus(status);
                throw new InvalidOperationException($"ONNX Runtime refused the replaced initializers: {message}");
            }
        }
        finally
        {
            foreach (var name in names.Where(n => n != IntPtr.Zero))
                Marshal.FreeCoTaskMem(name);
        }
    }

    private sealed record Api(
        AddExternalInitializersFn AddExternalInitializers,
        GetErrorMessageFn GetErrorMessage,
        ReleaseStatusFn ReleaseStatus,
        Func<OrtValue, IntPtr> HandleOf);

    [DllImport("onnxruntime", CallingConvention = CallingConvention.Winapi)]
    private static extern IntPtr OrtGetApiBase();

    private static Api Bind()
    {
        var binding = typeof(SessionOptions).Assembly;
        var table = binding.GetType("Microsoft.ML.OnnxRuntime.OrtApi")
            ?? throw new InvalidOperationException("This ONNX Runtime binding has no OrtApi table to find AddExternalInitializers in.");
        var handle = typeof(OrtValue).GetProperty("Handle", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            ?? throw new InvalidOperationException("This ONNX Runtime binding's OrtValue has no native handle property.");

        var apiBase = OrtGetApiBase();
        var getApi = Marshal.GetDelegateForFunctionPointer<GetApiFn>(Marshal.ReadIntPtr(apiBase));
        var api = getApi(ApiVersion);
        if (api == IntPtr.Zero)
            throw new InvalidOperationException($"ONNX Runtime does not offer API version {ApiVersion}.");

        T Function<T>(string name) where T : Delegate =>
            Marshal.GetDelegateForFunctionPointer<T>(Marshal.ReadIntPtr(api, (int)Marshal.OffsetOf(table, name)));
        return new Api(
            Function<AddExternalInitializersFn>("AddExternalInitializers"),
            Function<GetErrorMessageFn>("GetErrorMessage"),
            Function<ReleaseStatusFn>("ReleaseStatus"),
            value => (IntPtr)handle.GetValue(value)!);
    }
}
