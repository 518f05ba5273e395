// The measurements of the `make bench-*` programs, for the benchmarks that use TestSupport.
@_exported import BenchmarkMeasure
