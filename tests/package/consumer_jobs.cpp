// Runs the saxpy sample job through the installed job layer; exits 0 when its check passes, the
// result is right and the output file is written.
#include <tessera/jobs.hpp>
#include <tessera/tessera.hpp>

#include <cstdio>
#include <filesystem>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::filesystem::path job_file = argv[1];  // a copy of samples/jobs/saxpy.toml
  try {
    const tessera::Runtime rt;
    const tessera::Job job = tessera::Job::load(job_file);
    const tessera::JobResult result = tessera::run_job(rt, job);
    bool ok = true;
    for (const auto& c : result.checks()) {
      std::printf("check %s: %s\n", c.buffer.c_str(), c.message.c_str());
      ok = ok && c.passed;
    }
    const auto y = result.buffer<float>("y");
    ok = ok && !y.empty() && y.back() == 2.0f * static_cast<float>(y.size() - 1) + 1;
    const auto written = result.write_outputs();
    ok = ok && written.size() == 1 && std::filesystem::file_size(written[0]) > y.size_bytes();
    std::printf("job '%s' on %zu device(s): %s\n", job.name().c_str(), rt.devices().size(), ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
  } catch (const tessera::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
