// When a task's results are lost: cancelled in the middle of a graph, or failed on a device
// (injected faults, RuntimeOptions::faults). What needs its data loses its results too, by
// name; independent tasks are untouched; arrays written anew are usable again.

#include <doctest/doctest.h>

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/task_kernels.hpp"
#include "support/topology.hpp"
#include "tessera/tessera.hpp"

using tessera::Launch;
using tessera::NDRange;
using tessera::Schedule;

namespace {

const char* const kernels = tessera::test::task_kernels;

std::uint32_t spun(std::uint32_t v, std::uint32_t iters) {
  for (std::uint32_t k = 0; k < iters; ++k) v = v * 1664525u + 1013904223u;
  return v;
}

// Long enough that the tasks after it are still queued when the test acts on them.
std::uint32_t spin_iters() { return 4'000'000; }

// A device whose commands run after the enqueueing call returns: not Oclgrind nor PoCL's basic
// device, which run them when the queue is flushed (a slow task there has ended at submit).
std::size_t queueing_device(const tessera::Program& program) {
  const auto& devices = program.devices();
  for (std::size_t d = 0; d < devices.size(); ++d) {
    const std::string& name = devices[d].name();
    if (name.find("basic") == std::string::npos && name.find("Oclgrind") == std::string::npos) return d;
  }
  FAIL("no device queues commands");
  return 0;
}

tessera::RuntimeOptions options(std::string faults = "off") {
  auto o = tessera::test::runtime_options();
  o.zero_copy = false;
  o.faults = std::move(faults);
  return o;
}

struct Fixture {
  tessera::Runtime rt{options()};
  tessera::Program program = rt.compile(tessera::Source::string(kernels, "task_faults_test.cl"));
};

Fixture& fixture() { return tessera::test::shared_fixture<Fixture>(); }

std::vector<std::uint32_t> iota(std::size_t n, std::uint32_t from = 0) {
  std::vector<std::uint32_t> v(n);
  std::iota(v.begin(), v.end(), from);
  return v;
}

template <class Call>
std::string message(Call&& call) {
  try {
    call();
  } catch (const tessera::Error& e) {
    return e.what();
  }
  return "no error";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("cancelling a task in the middle of a graph discards its results and those that need them") {
  auto& f = fixture();
  const std::size_t n = 64;
  const std::size_t slow = queueing_device(f.program), last = f.program.devices().size() - 1;
  const std::uint32_t iters = spin_iters();
  auto x0 = f.rt.array(iota(n, 1));
  auto x1 = f.rt.array<std::uint32_t>(n), x2 = f.rt.array<std::uint32_t>(n), x3 = f.rt.array<std::uint32_t>(n);
  auto y = f.rt.array(iota(n)), z = f.rt.array(iota(n)), w = f.rt.array<std::uint32_t>(n);
  const auto copy = [&](auto& from, auto& to) {
    return Launch{f.program, "copy", NDRange{n}}.arg(tessera::read(from)).arg(tessera::write(to));
  };

  // a (slow) -> b -> c, and d after b: a and b on the slow device, in order.
  auto a = f.rt.submit(Launch{f.program, "spin", NDRange{n}}.arg(tessera::read(x0)).arg(tessera::write(x1)).arg(iters),
                       Schedule::single(slow));
  auto b = f.rt.submit(copy(x1, x2), Schedule::single(slow));
  auto e = f.rt.submit(copy(x1, w), Schedule::single(slow));  // needs a only
  REQUIRE_FALSE(b.done());  // a still runs: b has not finished
  b.cancel();
  // Submitted after the cancel, while b is still queued: c on the last device (another context on
  // some topologies: the host waits for b there before enqueueing c), d after b.
  auto c = f.rt.submit(copy(x2, x3), Schedule::single(last));
  auto d = f.rt.submit(Launch{f.program, "add", NDRange{n}}.arg(tessera::read_write(y)).arg(1u).after(b),
                       Schedule::single(last));
  auto independent = f.rt.submit(Launch{f.program, "add", NDRange{n}}.arg(tessera::read_write(z)).arg(5u),
                                 Schedule::single(last));

  std::vector<std::uint32_t> expect(n);
  for (std::size_t i = 0; i < n; ++i) expect[i] = spun(static_cast<std::uint32_t>(i + 1), iters);
  CHECK_FALSE(a.wait().cancelled);
  CHECK(b.wait().cancelled);
  CHECK(c.wait().cancelled);
  CHECK(d.wait().cancelled);
  CHECK_FALSE(e.wait().cancelled);
  CHECK_FALSE(independent.wait().cancelled);
  CHECK(x1.to_vector() == expect);
  CHECK(w.to_vector() == expect);
  std::vector<std::uint32_t> plus5 = iota(n);
  for (auto& v : plus5) v += 5;
  CHECK(z.to_vector() == plus5);

  // What the cancelled tasks wrote refuses reads, by name.
  const std::string b_read = message([&] { x2.to_vector(); });
  CHECK(has(b_read, "cannot be read: it was written by task"));
  CHECK(has(b_read, "'copy', which was cancelled"));
  const std::string c_read = message([&] { x3.to_vector(); });
  CHECK(has(c_read, "which has no results: it needs data from task"));
  CHECK(has(c_read, "which was cancelled"));
  CHECK(has(message([&] { y.to_vector(); }), "was cancelled"));

  // A task reading it now (b is settled) does not run its kernel: it is cancelled too.
  auto u = f.rt.array(iota(n, 7));
  auto g = f.rt.submit(copy(x2, u), Schedule::single(last));
  CHECK(g.wait().cancelled);
  CHECK(has(message([&] { u.to_vector(); }), "was cancelled"));

  // Written anew, the arrays are usable again.
  x2.write(iota(n, 3));
  auto h = f.rt.submit(copy(x2, x3));
  CHECK_FALSE(h.wait().cancelled);
  CHECK(x3.to_vector() == iota(n, 3));

  // Cancelling a finished task changes nothing.
  e.cancel();
  CHECK(w.to_vector() == expect);
}

TEST_CASE("an injected device failure fails the tasks that need its data, by name, and not the others") {
  const std::size_t slow = queueing_device(fixture().program);
  const std::string label = fixture().program.devices()[slow].info().label();
  tessera::Runtime rt(options("device=" + label + ",chunk=1,status=CL_OUT_OF_RESOURCES"));
  const tessera::Program program = rt.compile(tessera::Source::string(kernels, "task_faults_test.cl"));
  REQUIRE(program.devices()[slow].info().label() == label);
  const std::size_t n = 64;
  const std::size_t last = program.devices().size() - 1;
  auto x0 = rt.array(iota(n)), x1 = rt.array<std::uint32_t>(n), x2 = rt.array<std::uint32_t>(n);
  auto x3 = rt.array<std::uint32_t>(n), z = rt.array(iota(n)), q = rt.array(iota(n));
  const auto copy = [&](auto& from, auto& to) {
    return Launch{program, "copy", NDRange{n}}.arg(tessera::read(from)).arg(tessera::write(to));
  };

  // The slow device's chunk 0 is the spin; its chunk 1, the copy after it, fails.
  auto spin = rt.submit(Launch{program, "spin", NDRange{n}}.arg(tessera::read(x0)).arg(tessera::write(x1)).arg(spin_iters()),
                        Schedule::single(slow));
  auto failing = rt.submit(copy(x1, x2), Schedule::single(slow));
  REQUIRE_FALSE(failing.done());
  auto needs = rt.submit(copy(x2, x3), Schedule::single(last));  // its failure is not known yet
  auto other = rt.submit(Launch{program, "add", NDRange{n}}.arg(tessera::read_write(z)).arg(2u), Schedule::single(slow));
  auto elsewhere = rt.submit(Launch{program, "add", NDRange{n}}.arg(tessera::read_write(q)).arg(3u),
                             Schedule::single(last));

  spin.wait();
  const std::string failed = message([&] { failing.wait(); });
  CHECK(has(failed, "'copy' failed on device " + label + " '"));
  CHECK(has(failed, "' (CL_OUT_OF_RESOURCES)"));
  const std::string dependent = message([&] { needs.wait(); });
  CHECK(has(dependent, "has no results: it needs data from task"));
  CHECK(has(dependent, "which failed on device " + label));
  other.wait();
  elsewhere.wait();
  std::vector<std::uint32_t> plus2 = iota(n), plus3 = iota(n);
  for (auto& v : plus2) v += 2;
  for (auto& v : plus3) v += 3;
  CHECK(z.to_vector() == plus2);
  CHECK(q.to_vector() == plus3);

  // Known failed now: reading its output is refused at submit and on the host, by name.
  const std::string refused = message([&] { rt.submit(copy(x2, x3)); });
  CHECK(has(refused, "cannot run: argument 0 was written by task"));
  CHECK(has(refused, "(CL_OUT_OF_RESOURCES)"));
  CHECK(has(message([&] { rt.submit(Launch{program, "add", NDRange{n}}.arg(tessera::read_write(z)).arg(1u).after(failing)); }),
            "cannot run: it runs after task"));
  CHECK(has(message([&] { x2.to_vector(); }), "cannot be read: it was written by task"));
  CHECK(has(message([&] { x3.to_vector(); }), "needs data from task"));
}

TEST_CASE("fault specs: a malformed one is refused, naming it") {
  const auto refused = [](const std::string& spec) { return message([&] { tessera::Runtime rt(options(spec)); }); };
  CHECK(has(refused("device=0,chunk=1"), "status= is missing"));
  CHECK(has(refused("device=0,status=CL_OUT_OF_RESOURCES"), "give chunk=N or every=1"));
  CHECK(has(refused("device=0,chunk=1,every=1,status=CL_OUT_OF_RESOURCES"), "give chunk=N or every=1"));
  CHECK(has(refused("chunk=1,status=CL_OUT_OF_RESOURCES"), "device= is missing"));
  CHECK(has(refused("device=0,chunk=x,status=CL_OUT_OF_RESOURCES"), "chunk=x is not a chunk number"));
  CHECK(has(refused("device=0,chunk=1,status=CL_SUCCESS"), "not a failure status"));
  CHECK(has(refused("device=0,chunk=1,status=CL_OUT_OF_RESOURCES,colour=red"), "unknown key 'colour'"));
  CHECK(has(refused("device=0,hang=1"), "hang=1 is not implemented"));
  CHECK(has(refused("device=0;device=%,every=1,status=CL_INVALID_VALUE"), "RuntimeOptions::faults: fault 'device=0'"));
  // Well formed: every chunk of every device fails.
  tessera::Runtime rt(options("device=all,every=1,status=CL_INVALID_VALUE"));
  const tessera::Program program = rt.compile(tessera::Source::string(kernels, "task_faults_test.cl"));
  auto x = rt.array(iota(16));
  auto t = rt.submit(Launch{program, "add", NDRange{16}}.arg(tessera::read_write(x)).arg(1u));
  CHECK(has(message([&] { t.wait(); }), "(CL_INVALID_VALUE)"));
}
