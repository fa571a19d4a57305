// Programs: sources and includes, builtins, per-device builds, build errors, partial builds,
// identical devices compiling once, kernel signatures.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <thread>

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

TEST_CASE("unreadable sources are io errors; unresolved includes are left to the compiler") {
  tessera::test::TempDir dir;
  auto e = error_of([&] { (void)Source::file(dir / "absent.cl").resolve(); });
  CHECK(e.code() == Errc::io);
  CHECK(contains(e.what(), "absent.cl: cannot read kernel source: no such file"));
  e = error_of([&] { (void)Source::file(dir.path()).resolve(); });  // a folder
  CHECK(e.code() == Errc::io);
  CHECK(contains(e.what(), "not a regular file"));

  const auto main_file = dir.write("main.cl", "// header\n#include \"nope.h\"\n#include <angled.h>\n");
  const auto r = Source::file(main_file).resolve();
  CHECK_FALSE(r.self_contained);
  CHECK(contains(r.text, "#include \"nope.h\""));
  CHECK(contains(r.text, "#include <angled.h>"));
  CHECK(Source::string("kernel void k() {}").resolve().self_contained);

  // The compiler reports the missing include, naming the real file and line.
  const tessera::Runtime rt = uncached_runtime();
  try {
    (void)rt.compile(Source::file(main_file));
    FAIL("the build must fail");
  } catch (const tessera::BuildError& b) {
    REQUIRE_FALSE(b.logs().empty());
    CHECK(contains(b.logs()[0].log, "nope.h"));
    CHECK(contains(b.logs()[0].log, main_file.string() + ":2:"));
  }

  // #if 0 hides an include the resolver cannot find: not an error.
  const auto hidden = dir.write("hidden.cl", "#if 0\n#include \"missing.h\"\n#endif\nkernel void k(global int* p) { p[0] = 1; }\n");
  CHECK(rt.compile(Source::file(hidden)).devices().size() == rt.devices().size());
}

TEST_CASE("include cycles are inlined once, as include guards would") {
  tessera::test::TempDir dir;
  dir.write("b.h", "#include \"a.cl\"\n#define FROM_B 1\n");
  const auto a = dir.write("a.cl", "#include \"b.h\"\nkernel void k(global int* p) { p[0] = FROM_B; }\n");
  const auto r = Source::file(a).resolve();
  CHECK(r.text.find("kernel void k") == r.text.rfind("kernel void k"));
  const tessera::Runtime rt = uncached_runtime();
  CHECK(rt.compile(Source::file(a)).has_kernel("k"));
}

TEST_CASE("diagnostics mapping leaves real file names alone") {
  tessera::ResolvedSource r;
  r.files = {"myinput.cl", "input.cl"};
  r.origins = {{-1, 0}, {0, 1}, {0, 2}};
  CHECK(r.map_diagnostics("myinput.cl:2:3: error: x") == "myinput.cl:2:3: error: x");
  CHECK(r.map_diagnostics("input.cl:2:3: error: x") == "input.cl:2:3: error: x");  // a real file
  tessera::ResolvedSource q;
  q.files = {"real.cl"};
  q.origins = {{-1, 0}, {0, 1}, {0, 2}};
  CHECK(q.map_diagnostics("<stdin>:3:1: error: y") == "real.cl:2:1: error: y");
  CHECK(q.map_diagnostics("x<stdin>:3:1") == "x<stdin>:3:1");  // not a token start
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
    CHECK(rt.devices().size() >= 2);
    CHECK(kinds == 1);  // identical 1-CU devices: one compilation
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
    REQUIRE(e.logs().size() == tessera::test::distinct_devices(rt.devices()));  // one per kind
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

TEST_CASE("a kernel that exists on some devices only is left out, with a warning") {
  const Source partial = Source::string(
      "kernel void k(global float* p) { p[0] = 1.0f; }\n"
      "#if __OPENCL_VERSION__ >= 200\nkernel void v2only(global float* p) { p[0] = 2.0f; }\n#endif\n",
      "partial.cl");
  const tessera::Runtime rt = uncached_runtime();
  const tessera::Program p = rt.compile(partial);
  CHECK(p.has_kernel("k"));
  if (tessera::test::topology().oclgrind) {
    CHECK_FALSE(p.has_kernel("v2only"));
    REQUIRE(p.warnings().size() == 1);
    CHECK(contains(p.warnings()[0], "kernel 'v2only' exists on some devices only"));
  } else {
    CHECK(p.has_kernel("v2only"));
    CHECK(p.warnings().empty());
  }
}

TEST_CASE("identical devices that fail share one log and one warning") {
  const tessera::Runtime rt = uncached_runtime();
  try {
    (void)rt.compile(Source::string("kernel void k() { oops; }\n", "oops.cl"));
    FAIL("must fail");
  } catch (const tessera::BuildError& e) {
    CHECK(e.logs().size() == tessera::test::distinct_devices(rt.devices()));
  }
}

TEST_CASE("compile may be called from several threads at once") {
  const tessera::Runtime rt = uncached_runtime();
  std::vector<std::thread> threads;
  std::vector<std::size_t> built(4, 0);
  for (std::size_t t = 0; t < built.size(); ++t) {
    threads.emplace_back([&, t] {
      const auto p = rt.compile(Source::builtin("saxpy"), "", {{"VARIANT", std::to_string(t)}});
      built[t] = p.devices().size();
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t b : built) CHECK(b == rt.devices().size());
  CHECK(rt.build_stats().compiled == built.size() * tessera::test::distinct_devices(rt.devices()));
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
