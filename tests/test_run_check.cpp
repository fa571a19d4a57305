// `tessera run --check` and `--verify` as a user runs them: a job whose kernel writes outside its
// chunk's slice (scatter fits), or leaves part of a write slice unwritten, exits 3 naming the
// step, the buffer, the chunk, the first element and the role that fits, and writes nothing;
// under Oclgrind an out-of-bounds access fails a checked run (exit 1). Every device set: zero-copy devices, where
// such kernels happen to give the right answer, are checked through copies all the same.

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/topology.hpp"

namespace fs = std::filesystem;
using tessera::test::run_tessera;
using tessera::test::TempDir;

namespace {

const char* const kernels = R"CL(
kernel void reverse(global const int* in, global int* out, const uint n) {
  const size_t i = get_global_id(0);
  out[n - 1 - i] = in[i];
}
kernel void evens(global int* out) {
  const size_t i = get_global_id(0);
  if (i % 2 == 0) out[i] = 1;
}
kernel void shifted(global const int* in, global int* out, const uint n) {
  const size_t i = get_global_id(0);
  out[i] = in[i + 1];
}
kernel void symmetric(global int* m, const uint n) {
  const uint i = get_global_id(0);
  for (uint j = i; j < n; ++j) m[i * n + j] = m[j * n + i] = (int)(i * j);
}
)CL";

// A job of one step: `kernel` over n = 1024 from `in` (iota) into `out` (all 5, written to
// out.npy) with out's access `access`; `extra` arguments after the buffers.
std::string job(const std::string& kernel, const std::string& access, bool with_input, const std::string& extra) {
  std::string args = with_input ? "{ buffer = \"in\" }, " : "";
  args += "{ buffer = \"out\", access = \"" + access + "\" }" + extra;
  return "[params]\nn = 1024\n[program]\nsource = \"k.cl\"\n"
         "[buffers.in]\ntype = \"int\"\ncount = \"n\"\ninit = { iota = 0 }\n"
         "[buffers.out]\ntype = \"int\"\ncount = \"n\"\ninit = { fill = 5 }\noutput = \"out.npy\"\n"
         "[[steps]]\nkernel = \"" + kernel + "\"\nglobal = [\"n\"]\nargs = [" + args + "]\n";
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

TEST_CASE("--check: a kernel writing outside its chunk's slice exits 3 at the argument, and writes nothing") {
  TempDir dir;
  dir.write("k.cl", kernels);
  const fs::path file = dir.write("reverse.toml", job("reverse", "write", true, ", { value = \"n\" }"));
  for (const char* flag : {"--check", "--verify"}) {
    INFO(flag);
    const auto r = run_tessera({"run", file.string(), flag});
    INFO(r.err);
    CHECK(r.exit_code == 3);
    CHECK(first_line(r.err).rfind("error: " + file.string() + ":17:28: steps[0].args[1]: buffer 'out' (access \"write\"): "
                                  "chunk [0, ", 0) == 0);
    CHECK(r.err.find("wrote, outside its slice,") != std::string::npos);
    CHECK(first_line(r.err).find("fits scatter = true when each element has one writer") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "out.npy"));
  }
}

TEST_CASE("--check: a symmetric fill into a split output suggests scatter = true at the argument; with it, passes") {
  TempDir dir;
  dir.write("k.cl", kernels);
  const std::string head =
      "[params]\nn = 32\n[program]\nsource = \"k.cl\"\n"
      "[buffers.m]\ntype = \"int\"\nshape = [\"n\", \"n\"]\ninit = { iota = 0 }\noutput = \"m.npy\"\n"
      "[[steps]]\nkernel = \"symmetric\"\nglobal = [\"n\"]\n";
  const fs::path split =
      dir.write("split.toml", head + "args = [{ buffer = \"m\", access = \"write\" }, { value = \"n\" }]\n");
  const auto r = run_tessera({"run", split.string(), "--check"});
  INFO(r.err);
  CHECK(r.exit_code == 3);
  CHECK(first_line(r.err).rfind("error: " + split.string() +
                                    ":13:9: steps[0].args[0]: buffer 'm' (access \"write\"): chunk [0, ",
                                0) == 0);
  CHECK(first_line(r.err).find("wrote, outside its slice,") != std::string::npos);
  CHECK(first_line(r.err).find("fits scatter = true") != std::string::npos);
  CHECK(r.err.find("left unwritten") == std::string::npos);  // its slice is the other chunks' to write
  CHECK_FALSE(fs::exists(dir / "m.npy"));

  const fs::path scatter = dir.write(
      "scatter.toml", head + "args = [{ buffer = \"m\", access = \"write\", scatter = true }, { value = \"n\" }]\n");
  const auto ok = run_tessera({"run", scatter.string(), "--check"});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(fs::exists(dir / "m.npy"));
}

TEST_CASE("--check: a write slice left partly unwritten exits 3; read_write is what fits, and passes") {
  TempDir dir;
  dir.write("k.cl", kernels);
  const fs::path partial = dir.write("partial.toml", job("evens", "write", false, ""));
  const auto r = run_tessera({"run", partial.string(), "--check"});
  INFO(r.err);
  CHECK(r.exit_code == 3);
  CHECK(first_line(r.err).find("steps[0].args[0]: buffer 'out' (access \"write\"): chunk [0, ") != std::string::npos);
  CHECK(first_line(r.err).find("left unwritten, in its slice,") != std::string::npos);
  CHECK(first_line(r.err).find("the first element 1;") != std::string::npos);
  CHECK(first_line(r.err).find("fits access = \"read_write\"") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out.npy"));

  const fs::path fixed = dir.write("fixed.toml", job("evens", "read_write", false, ""));
  const auto ok = run_tessera({"run", fixed.string(), "--check"});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(fs::exists(dir / "out.npy"));
}

TEST_CASE("--check under Oclgrind: an out-of-bounds read fails the run (exit 1) and says where") {
  if (!tessera::test::topology().oclgrind) return;  // only Oclgrind sees every access
  TempDir dir;
  dir.write("k.cl", kernels);
  const fs::path file = dir.write("oob.toml", job("shifted", "write", true, ", { value = \"n\" }"));
  // Unchecked, the last work-item reads past `in` unnoticed by the command. (Oclgrind alone:
  // the last chunk must run there.)
  CHECK(run_tessera({"run", file.string(), "--devices", "name=oclgrind"}).exit_code == 0);
  fs::remove(dir / "out.npy");
  const auto r = run_tessera({"run", file.string(), "--check", "--devices", "name=oclgrind"});
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("error: " + file.string() + ": --check: Oclgrind found an error in a kernel: Invalid read") !=
        std::string::npos);
  // The guard runs see the same mistake inside the array: a chunk's last element reads the next
  // chunk's first.
  CHECK(r.err.find("wrote values that change with the guard values of unsent elements") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out.npy"));
}
