// What `tessera run` writes, as files: outputs into folders that are made, through symbolic
// links that are kept, all or nothing when the disk is full, and a --report that is checked
// before anything runs and never replaces an output.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "job/npy.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using tessera::test::run_tessera;
using tessera::test::TempDir;

namespace {

// x = iota and y = 1 over 1024 floats, y = 2 x + y; `outputs` is the [buffers.*] keys'
// output lines ("x" -> a file, "y" -> a file), and `extra` more [buffers.*] tables.
std::string job(const std::string& x_output, const std::string& y_output, const std::string& extra = "") {
  return "[program]\nbuiltin = \"saxpy\"\n"
         "[buffers.x]\ntype = \"float\"\ncount = 1024\ninit = { iota = 0 }\noutput = \"" + x_output + "\"\n" + extra +
         "[buffers.y]\ntype = \"float\"\ncount = 1024\ninit = { fill = 1.0 }\noutput = \"" + y_output + "\"\n"
         "[[steps]]\nkernel = \"saxpy\"\nglobal = [1024]\n"
         "args = [{ value = 2.0 }, { buffer = \"x\" }, { buffer = \"y\", access = \"read_write\" }]\n";
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::recursive_directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("outputs go into folders that are made, and through links that are kept") {
  TempDir dir;
  fs::create_directories(dir / "real");
  fs::create_symlink("real/y-target.npy", dir / "y.npy");  // dangling until the run
  const auto r = run_tessera({"run", dir.write("j.toml", job("new/deeper/x.npy", "y.npy")).string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(tessera::detail::read_npy(dir / "new" / "deeper" / "x.npy").header.shape == std::vector<std::size_t>{1024});
  CHECK(fs::is_symlink(fs::symlink_status(dir / "y.npy")));
  CHECK(tessera::detail::read_npy(dir / "real" / "y-target.npy").header.shape == std::vector<std::size_t>{1024});

  // The plan says where a link's data goes.
  const auto dry = run_tessera({"run", (dir / "j.toml").string(), "--dry-run"});
  CHECK(dry.out.find("y.npy is a symbolic link: writes " + (dir / "real" / "y-target.npy").string()) !=
        std::string::npos);
}

TEST_CASE("--report is checked before the run and never replaces an output") {
  TempDir dir;
  const fs::path file = dir.write("j.toml", job("x.npy", "y.npy"));
  dir.write("x.npy", "the previous x");
  dir.write("plain", "a regular file");

  const auto onto_output = run_tessera({"run", file.string(), "--report", (dir / "sub" / ".." / "x.npy").string()});
  CHECK(onto_output.exit_code == 2);
  CHECK(first_line(onto_output.err) == "error: --report " + (dir / "sub" / ".." / "x.npy").string() + ": " +
                                           (dir / "x.npy").string() + " is the output of buffer 'x' of " +
                                           file.string());
  const auto under_file = run_tessera({"run", file.string(), "--report", (dir / "plain" / "r.json").string()});
  CHECK(under_file.exit_code == 2);
  CHECK(first_line(under_file.err).find((dir / "plain").string() + " is not a folder") != std::string::npos);
  CHECK(read_text(dir / "x.npy") == "the previous x");  // nothing ran
  CHECK_FALSE(fs::exists(dir / "y.npy"));

  const auto made = run_tessera({"run", file.string(), "--report", (dir / "reports" / "r.json").string()});
  CHECK(made.exit_code == 0);
  CHECK(fs::file_size(dir / "reports" / "r.json") > 0);
}

TEST_CASE("a full disk changes no output: every output is staged before any is renamed") {
  TempDir dir;
  // Three outputs on a 256 KiB file system: the first (4 KiB) fits, the second (4 MiB) does not.
  const std::string big = "[buffers.big]\ntype = \"float\"\ncount = 1048576\ninit = { fill = 0 }\noutput = \"full/b.npy\"\n";
  const fs::path file = dir.write("j.toml", job("full/a.npy", "full/c.npy", big));
  fs::create_directories(dir / "full");
  const fs::path script = dir.write(
      "full.sh",
      "set -u\nmount -t tmpfs -o size=256k tmpfs \"$1/full\" || exit 77\n"
      "printf 'old a' > \"$1/full/a.npy\"; printf 'old c' > \"$1/full/c.npy\"\n"
      "\"$2\" run \"$1/j.toml\" 2> \"$1/err\"; echo \"exit $?\"\n"
      "echo \"a: $(cat \"$1/full/a.npy\")\"; echo \"c: $(cat \"$1/full/c.npy\")\"\n"
      "echo \"files: $(ls -A \"$1/full\" | tr '\\n' ' ')\"\n");
  // A mount namespace of its own: as root directly, else as root of a user namespace.
  tessera::test::ProcessResult r;
  for (const std::vector<std::string>& unshare : {std::vector<std::string>{"--mount"},
                                                  std::vector<std::string>{"--user", "--map-root-user", "--mount"}}) {
    std::vector<std::string> args = unshare;
    for (const std::string& a : {std::string("sh"), script.string(), dir.path().string(), std::string(TESSERA_CLI_PATH)}) {
      args.push_back(a);
    }
    r = tessera::test::run_process("/usr/bin/unshare", args);
    if (r.exit_code != 77 && r.out.find("exit ") != std::string::npos) break;
  }
  if (r.out.find("exit ") == std::string::npos) {
    MESSAGE("no tmpfs could be mounted here (" << r.err << "): the full-disk case is not tested");
    return;
  }
  INFO(r.out << read_text(dir / "err"));
  CHECK(r.out.find("exit 1\n") != std::string::npos);
  CHECK(r.out.find("a: old a\n") != std::string::npos);
  CHECK(r.out.find("c: old c\n") != std::string::npos);
  CHECK(r.out.find("files: a.npy c.npy \n") != std::string::npos);  // no temporary file left
  CHECK(first_line(read_text(dir / "err")).find("No space left on device") != std::string::npos);
  CHECK(files_in(dir / "full") == 0);  // the tmpfs was the namespace's own
}
