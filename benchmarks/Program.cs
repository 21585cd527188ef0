using BenchmarkDotNet.Running;
using Livepeer.Runner.Benchmarks;

// dotnet run -c Release --project benchmarks            (all suites)
// dotnet run -c Release --project benchmarks -- --filter '*ResponsePath*'
// dotnet run -c Release --project benchmarks -- peers [runs]   (our side of benchmarks/peers/compare.py)
if (args is [PeerFigures.Command, ..])
{
    await PeerFigures.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(ResponsePathBenchmarks).Assembly).Run(args);
