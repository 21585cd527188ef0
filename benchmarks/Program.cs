using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks            (all suites)
// dotnet run -c Release --project benchmarks -- --filter '*ResponsePath*'
BenchmarkSwitcher.FromAssembly(typeof(Livepeer.Runner.Benchmarks.ResponsePathBenchmarks).Assembly).Run(args);
