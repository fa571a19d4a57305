// Runs a job through the installed job layer; exits 0 when its check passes and the output file
// holds the result.
#include <tessera/jobs.hpp>
#include <tessera/tessera.hpp>

#include <cstdio>
#include <filesystem>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::filesystem::path folder = argv[1];
  const char* text = R"(
[params]
n = 4096
[program]
builtin = "saxpy"
[buffers.x]
type = "float"
count = "n"
init = { iota = 0 }
[buffers.y]
type = "float"
count = "n"
init = { fill = 1.0 }
output = "y.npy"
[[steps]]
kernel = "saxpy"
global = ["n"]
args = [{ value = 2.0 }, { buffer = "x" }, { buffer = "y", access = "read_write" }]
[[checks]]
buffer = "y"
expect = { sum = 16777216.0, rtol = 1e-9 }
)";
  try {
    const tessera::Runtime rt;
    const tessera::Job job = tessera::Job::parse(text, folder / "job.toml");
    const tessera::JobResult result = tessera::run_job(rt, job);
    bool ok = true;
    for (const auto& c : result.checks()) {
      std::printf("check %s: %s\n", c.buffer.c_str(), c.message.c_str());
      ok = ok && c.passed;
    }
    const auto y = result.buffer<float>("y");
    ok = ok && y.size() == 4096 && y[4095] == 2.0f * 4095 + 1;
    const auto written = result.write_outputs();
    ok = ok && written.size() == 1 && std::filesystem::file_size(folder / "y.npy") > 4096 * sizeof(float);
    std::printf("job '%s' on %zu device(s): %s\n", job.name().c_str(), rt.devices().size(), ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
  } catch (const tessera::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
