// Programs: sources and includes, builtins, per-device builds, build errors, partial builds,
// identical devices compiling once, kernel signatures.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "support/temp_dir.hpp"
#include "support/topology.hpp"
#include "tessera/tessera.hpp"

using tessera::ArgKind;
using tessera::BuildOrigin;
using tessera::Errc;
using tessera::Source;

namespace {

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// A runtime over the topology's devices, with the binary cache off: every build compiles.
tessera::Runtime uncached_runtime() {
  auto options = tessera::test::runtime_options();
  options.cache_dir = "off";
  return tessera::Runtime(options);
}

template <typename F>
tessera::Error error_of(F&& f) {
  try {
    f();
  } catch (const tessera::Error& e) {
    return e;
  }
  FAIL("expected a tessera::Error");
  return tessera::Error(Errc::opencl, "unreachable");
}

}  // namespace

TEST_CASE("builtin kernels are embedded and addressable by name") {
  const auto names = tessera::builtin_kernel_names();
  for (const char* expected : {"mandelbrot", "saxpy", "triad"}) {
    CHECK(std::find(names.begin(), names.end(), expected) != names.end());
  }
  const Source saxpy = Source::builtin("saxpy");
  CHECK(saxpy.kind() == Source::Kind::builtin);
  CHECK(saxpy.name() == "saxpy.cl");
  CHECK(contains(saxpy.resolve().text, "kernel void saxpy("));

  const auto e = error_of([] { (void)Source::builtin("saxpyy"); });
  CHECK(e.code() == Errc::invalid_argument);
  CHECK(contains(e.what(), "'saxpyy'"));
  CHECK(contains(e.what(), "saxpy, triad"));
}

TEST_CASE("includes are inlined relative to the including file, with line markers") {
  tessera::test::TempDir dir;
  dir.write("lib/common.h", "#pragma once\n#define SCALE 3\n");
  dir.write("lib/math.h", "#include \"common.h\"\ninline int triple(int x) { return SCALE * x; }\n");
  const auto main_file = dir.write(
      "main.cl", "#include \"lib/math.h\"\n#include \"lib/common.h\"\nkernel void k() {}\n");
  const tessera::ResolvedSource r = Source::file(main_file).resolve();
  CHECK(contains(r.text, "#define SCALE 3"));
  CHECK(contains(r.text, "inline int triple"));
  // #pragma once: common.h appears once although it is included twice.
  CHECK(r.text.find("#define SCALE") == r.text.rfind("#define SCALE"));
  CHECK(r.files.size() == 3);
  CHECK(contains(r.text, "#line 1 \"" + main_file.string() + "\""));
  CHECK(contains(r.text, "#line 3 \"" + main_file.string() + "\""));  // back after line 2

  // Every content line maps back to its file and line.
  const std::string kernel_line = "kernel void k() {}";
  const auto offset = r.text.find(kernel_line);
  const auto line_index = static_cast<std::size_t>(std::count(r.text.begin(), r.text.begin() + static_cast<long>(offset), '\n'));
  REQUIRE(line_index < r.origins.size());
  CHECK(r.files[static_cast<std::size_t>(r.origins[line_index].first)] == main_file.string());
  CHECK(r.origins[line_index].second == 3);

  // Diagnostics from drivers that ignore #line are mapped back.
  const std::string log = "input.cl:" + std::to_string(line_index + 1) + ":7: error: oops";
  CHECK(r.map_diagnostics(log) == main_file.string() + ":3:7: error: oops");
  CHECK(r.map_diagnostics("no location here") == "no location here");
  CHECK(r.map_diagnostics("<stdin>:99999:1: x") == "<stdin>:99999:1: x");  // out of range: kept
}

TEST_CASE("a missing include or source file is an io error naming where it was asked for") {
  tessera::test::TempDir dir;
  const auto main_file = dir.write("main.cl", "// header\n#include \"nope.h\"\n");
  auto e = error_of([&] { (void)Source::file(main_file).resolve(); });
  CHECK(e.code() == Errc::io);
  CHECK(contains(e.what(), main_file.string() + ":2"));
  CHECK(contains(e.what(), "'nope.h'"));

  e = error_of([&] { (void)Source::file(dir / "absent.cl").resolve(); });
  CHECK(e.code() == Errc::io);
  CHECK(contains(e.what(), "absent.cl"));
}

TEST_CASE("a program builds on every device and knows its kernels' signatures") {
  const tessera::Runtime rt = uncached_runtime();
  const tessera::Program p = rt.compile(Source::builtin("saxpy"), "-cl-fast-relaxed-math");
  CHECK(p.devices().size() == rt.devices().size());
  REQUIRE(p.builds().size() == rt.devices().size());
  CHECK(p.warnings().empty());
  CHECK(p.name() == "saxpy.cl");
  CHECK(p.kernel_names() == std::vector<std::string>{"saxpy"});
  CHECK(p.has_kernel("saxpy"));
  CHECK_FALSE(p.has_kernel("triad"));

  const tessera::KernelSignature& k = p.kernel("saxpy");
  REQUIRE(k.args.size() == 3);
  CHECK(k.args[0].name == "a");
  CHECK(k.args[0].kind == ArgKind::scalar);
  CHECK(k.args[0].type_name == "float");
  CHECK(k.args[1].name == "x");
  CHECK(k.args[1].kind == ArgKind::global_buffer);
  CHECK(k.args[1].is_const);
  CHECK(k.args[2].kind == ArgKind::global_buffer);
  CHECK_FALSE(k.args[2].is_const);
  CHECK(k.to_string() == "saxpy(float a, global const float* x, global float* y)");
  k.check_arity(3);

  auto e = error_of([&] { k.check_arity(2); });
  CHECK(e.code() == Errc::invalid_argument);
  CHECK(contains(e.what(), "kernel 'saxpy' takes 3 arguments, 2 given"));

  e = error_of([&] { (void)p.kernel("saxyp"); });
  CHECK(contains(e.what(), "no kernel 'saxyp'"));
  CHECK(contains(e.what(), "did you mean 'saxpy'?"));
}

TEST_CASE("identical devices compile once, different ones separately") {
  const tessera::Runtime rt = uncached_runtime();
  const tessera::Program p = rt.compile(Source::builtin("triad"));
  const std::size_t kinds = tessera::test::distinct_devices(rt.devices());
  CHECK(p.stats().compiled == kinds);
  CHECK(p.stats().shared == rt.devices().size() - kinds);
  CHECK(p.stats().cache_hits + p.stats().cache_misses == 0);  // cache off
  std::size_t compiled = 0;
  for (const auto& b : p.builds()) compiled += b.origin == BuildOrigin::compiled ? 1 : 0;
  CHECK(compiled == kinds);
  const auto& topo = tessera::test::topology();
  if (topo.name == "pocl1cu" || topo.name == "fission") {
    CHECK(rt.devices().size() == (topo.name == "fission" ? tessera::test::host_cores() : 2u));
    CHECK(kinds == 1);  // two identical 1-CU devices: one compilation
    CHECK(p.builds()[1].origin == BuildOrigin::shared);
  }
  CHECK(rt.build_stats().compiled == p.stats().compiled);
}

TEST_CASE("a build error throws BuildError with each device's log naming the file and line") {
  const tessera::Runtime rt = uncached_runtime();
  const Source bad = Source::string("kernel void k(global float* p) {\n  p[0] = 1.0f;\n"
                                    "  p[1] = undefined_thing;\n}\n",
                                    "bad.cl");
  try {
    (void)rt.compile(bad);
    FAIL("the build must fail");
  } catch (const tessera::BuildError& e) {
    CHECK(e.code() == Errc::build_failure);
    CHECK(e.cl_status_name() == "CL_BUILD_PROGRAM_FAILURE");
    CHECK(contains(e.what(), "'bad.cl' failed to build"));
    REQUIRE(e.logs().size() == rt.devices().size());
    for (const auto& log : e.logs()) {
      INFO(log.device << ": " << log.log);
      CHECK(contains(log.log, "bad.cl:3:"));
      CHECK(contains(log.log, "undefined_thing"));
    }
  }
}

TEST_CASE("a program that builds on some devices only leaves the others out, with a warning") {
  // Oclgrind offers OpenCL C 1.2, PoCL 3.0: this source builds on PoCL only.
  const Source needs_v2 = Source::string(
      "#if __OPENCL_VERSION__ < 200\n#error \"needs OpenCL 2.0\"\n#endif\n"
      "kernel void k(global float* p) { p[0] = 1.0f; }\n",
      "v2.cl");
  const tessera::Runtime rt = uncached_runtime();
  const auto& topo = tessera::test::topology();
  const tessera::Program p = rt.compile(needs_v2);
  if (topo.oclgrind) {
    REQUIRE(p.devices().size() == rt.devices().size() - 1);
    REQUIRE(p.warnings().size() == 1);
    CHECK(contains(p.warnings()[0], "Oclgrind"));
    CHECK(contains(p.warnings()[0], "left out"));
    for (const auto& b : p.builds()) {
      const bool grind = b.device.info().platform_name == "Oclgrind";
      CHECK((b.origin == BuildOrigin::failed) == grind);
      if (grind) CHECK(contains(b.log, "v2.cl:2:"));
    }
  } else {
    CHECK(p.devices().size() == rt.devices().size());
    CHECK(p.warnings().empty());
  }
}

TEST_CASE("defines reach the compiler; malformed ones are rejected before it") {
  const tessera::Runtime rt = uncached_runtime();
  const Source needs_defines = Source::string(
      "#if !defined(FLAG) || SCALE != 3\n#error \"defines missing\"\n#endif\n"
      "kernel void k(global int* p) { p[0] = SCALE; }\n",
      "defines.cl");
  CHECK_THROWS_AS((void)rt.compile(needs_defines), tessera::BuildError);
  const auto p = rt.compile(needs_defines, "", {{"FLAG", ""}, {"SCALE", "3"}});
  CHECK(p.devices().size() == rt.devices().size());

  for (const tessera::Defines& bad : {tessera::Defines{{"1X", "1"}}, tessera::Defines{{"", "1"}},
                                      tessera::Defines{{"X", "a b"}},
                                      tessera::Defines{{"X", "\"q\""}}}) {
    const auto e = error_of([&] { (void)rt.compile(needs_defines, "", bad); });
    CHECK(e.code() == Errc::invalid_argument);
  }
}
