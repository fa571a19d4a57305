// plain_triad's work through the library, as tasks over arrays: three arrays of n floats
// (a zeros, b[i] = i, c = 0.5), `reps` dependent submissions of triad a = b + 2 c (each writes
// a, which the next one also writes), then a read back and the sum of a. With --host, the same
// launches over host arrays through Runtime::run, one after another (the engine before tasks).
//
//   task_triad [--n N] [--reps R] [--host] [--devices SEL]
//
// Prints the sum of a as plain_triad does; exit status 0, or 1 on an error.

#include <fmt/format.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "tessera/tessera.hpp"

int main(int argc, char** argv) {
  try {
    std::size_t n = 4096;
    int reps = 20000;
    bool host = false;
    tessera::RuntimeOptions options;
    tessera::bench::Args args(argc, argv);
    while (args.next()) {
      if (args.is("--n")) n = std::stoull(args.value());
      else if (args.is("--reps")) reps = std::stoi(args.value());
      else if (args.is("--host")) host = true;
      else if (args.is("--devices")) options.devices = args.value();
      else args.unknown();
    }
    tessera::Runtime rt(options);
    const tessera::Program program = rt.compile(tessera::Source::builtin("triad"));
    std::vector<float> a(n, 0.0f), b(n), c(n, 0.5f);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<float>(i);
    const tessera::NDRange range{n};
    if (host) {
      for (int r = 0; r < reps; ++r) {
        rt.run(tessera::Launch{program, "triad", range}.arg(tessera::write(a)).arg(tessera::read(b)).arg(
            tessera::read(c)).arg(2.0f));
      }
    } else {
      auto da = rt.array<float>(n);
      const auto db = rt.array(b), dc = rt.array(c);
      for (int r = 0; r < reps; ++r) {
        rt.submit(tessera::Launch{program, "triad", range}.arg(tessera::write(da)).arg(tessera::read(db)).arg(
            tessera::read(dc)).arg(2.0f));
      }
      a = da.to_vector();
    }
    double sum = 0;
    for (float v : a) sum += static_cast<double>(v);
    fmt::print("task triad: {} floats, {} {}; sum of a {}\n", n, reps, host ? "runs over host arrays" : "tasks", sum);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
