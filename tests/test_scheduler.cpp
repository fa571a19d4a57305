// Scheduling policies over the chunk ledger, without devices: simulated devices of given speeds
// take chunks as real executors do (up to `pipeline` in flight, asking again after each
// completion, leaving when refused with nothing in flight), so what the policies decide can be
// checked exactly: coverage, rounding, shares, and the finishing time they lead to.

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <vector>

#include "engine/chunk_ledger.hpp"
#include "engine/perf_history.hpp"
#include "tessera/scheduler.hpp"

using tessera::Chunk;
using tessera::Schedule;
using tessera::detail::ChunkLedger;

namespace {

struct Simulated {
  std::vector<Chunk> chunks;        // in the order handed out
  std::vector<double> finished;     // per device: when its last chunk finished (0: none)
  double makespan = 0;
};

// Devices with `speed[i]` indices per second, each working its chunks one after another with
// up to `pipeline` taken ahead. The ledger is told the estimated `power` (which may be wrong).
Simulated simulate(const Schedule& schedule, std::size_t total, std::size_t granule,
                   const std::vector<double>& speed, std::vector<double> power = {},
                   std::size_t pipeline = 2, std::vector<bool> zero_copy = {}) {
  if (power.empty()) power = speed;
  ChunkLedger ledger(schedule, {.total = total, .granule = granule, .power = power, .zero_copy = zero_copy});
  const std::size_t n = speed.size();
  struct Device {
    std::vector<Chunk> queue;  // taken, not finished (the first is running)
    double busy_until = 0;     // when queue.front() finishes
    double clock = 0;          // when the device last acted
    bool left = false;
  };
  std::vector<Device> devices(n);
  Simulated out;
  out.finished.assign(n, 0);
  const auto fill = [&](std::size_t d) {
    Device& dev = devices[d];
    while (dev.queue.size() < pipeline) {
      const auto c = ledger.take(d);
      if (!c) break;
      out.chunks.push_back(*c);
      if (dev.queue.empty()) dev.busy_until = dev.clock + static_cast<double>(c->size) / speed[d];
      dev.queue.push_back(*c);
    }
    if (dev.queue.empty()) dev.left = true;
  };
  for (std::size_t d = 0; d < n; ++d) fill(d);
  while (true) {
    std::optional<std::size_t> next;  // the device whose running chunk finishes first
    for (std::size_t d = 0; d < n; ++d) {
      if (!devices[d].queue.empty() && (!next || devices[d].busy_until < devices[*next].busy_until)) next = d;
    }
    if (!next) break;
    Device& dev = devices[*next];
    const Chunk done = dev.queue.front();
    dev.queue.erase(dev.queue.begin());
    dev.clock = dev.busy_until;
    out.finished[*next] = dev.clock;
    ledger.report(*next, done.size);
    if (!dev.queue.empty()) dev.busy_until = dev.clock + static_cast<double>(dev.queue.front().size) / speed[*next];
    fill(*next);
  }
  out.makespan = *std::max_element(out.finished.begin(), out.finished.end());
  return out;
}

// Every index handed out exactly once, front to back.
void check_coverage(const Simulated& s, std::size_t total) {
  std::vector<Chunk> sorted = s.chunks;
  std::sort(sorted.begin(), sorted.end(), [](const Chunk& a, const Chunk& b) { return a.offset < b.offset; });
  std::size_t next = 0;
  for (const Chunk& c : sorted) {
    CHECK(c.offset == next);
    CHECK(c.size > 0);
    next = c.offset + c.size;
  }
  CHECK(next == total);
}

std::size_t indices_of(const Simulated& s, std::size_t device) {
  std::size_t sum = 0;
  for (const Chunk& c : s.chunks) sum += c.device == device ? c.size : 0;
  return sum;
}

// The best finishing time: every device busy until the end.
double ideal(std::size_t total, const std::vector<double>& speed) {
  return static_cast<double>(total) / std::accumulate(speed.begin(), speed.end(), 0.0);
}

}  // namespace

TEST_CASE("every policy covers the range once, in whole granules but for the last chunk") {
  const std::vector<Schedule> schedules{Schedule::single(1), Schedule::static_split(),
                                        Schedule::static_split({3, 1, 1}), Schedule::dynamic(100),
                                        Schedule::hguided(), Schedule::hguided(50, 2)};
  for (const Schedule& schedule : schedules) {
    for (std::size_t total : {1ul, 7ul, 64ul, 1000ul, 4099ul}) {
      CAPTURE(schedule.name());
      CAPTURE(total);
      const Simulated s = simulate(schedule, total, 8, {1000, 500, 10});
      check_coverage(s, total);
      for (const Chunk& c : s.chunks) {
        if (c.offset + c.size != total) CHECK(c.size % 8 == 0);
      }
    }
  }
}

TEST_CASE("single and static give what they are asked") {
  const Simulated single = simulate(Schedule::single(1), 1000, 1, {5, 5, 5});
  CHECK(indices_of(single, 1) == 1000);
  CHECK(single.chunks.size() == 1);

  // By default the fastest device by power, the first of equals.
  const Simulated fastest = simulate(Schedule::single(), 1000, 1, {1, 3, 2});
  CHECK(indices_of(fastest, 1) == 1000);
  const Simulated first_of_equals = simulate(Schedule::single(), 1000, 1, {2, 2});
  CHECK(indices_of(first_of_equals, 0) == 1000);

  const Simulated weighted = simulate(Schedule::static_split({3, 1}), 1000, 10, {1, 1});
  REQUIRE(weighted.chunks.size() == 2);
  CHECK(indices_of(weighted, 0) == 750);
  CHECK(indices_of(weighted, 1) == 250);

  // Without weights: the devices' powers.
  const Simulated by_power = simulate(Schedule::static_split(), 900, 1, {2, 1});
  CHECK(indices_of(by_power, 0) == 600);
  CHECK(indices_of(by_power, 1) == 300);
}

TEST_CASE("hguided hands out decreasing chunks and balances devices of different speeds") {
  const std::size_t total = 1000000;
  SUBCASE("equal devices") {
    const std::vector<double> speed{1000, 1000};
    const Simulated s = simulate(Schedule::hguided(), total, 1, speed);
    check_coverage(s, total);
    CHECK(s.chunks.front().size > s.chunks.back().size);
    CHECK(s.makespan <= 1.02 * ideal(total, speed));
  }
  SUBCASE("one device three times as fast") {
    const std::vector<double> speed{3000, 1000};
    const Simulated s = simulate(Schedule::hguided(), total, 1, speed);
    check_coverage(s, total);
    CHECK(s.makespan <= 1.03 * ideal(total, speed));
    CHECK(indices_of(s, 0) > 2 * indices_of(s, 1));
  }
}

TEST_CASE("hguided keeps a very slow device from holding up the end") {
  const std::size_t total = 1000000;
  const std::vector<double> speed{1000, 1000, 0.1};  // the third: a simulator

  SUBCASE("a device far too slow for any chunk takes none and leaves at once") {
    const Simulated s = simulate(Schedule::hguided(), total, 64, speed);
    check_coverage(s, total);
    CHECK(indices_of(s, 2) == 0);
    const Simulated without = simulate(Schedule::hguided(), total, 64, {1000, 1000});
    CHECK(s.makespan <= 1.0001 * without.makespan);
  }
  SUBCASE("a slow device gets only chunks it finishes before the others are done") {
    const std::vector<double> speeds{1000, 1000, 50};
    const Simulated s = simulate(Schedule::hguided(), total, 16, speeds);
    check_coverage(s, total);
    CHECK(indices_of(s, 2) > 0);
    CHECK(s.finished[2] <= std::max(s.finished[0], s.finished[1]));
    CHECK(s.makespan <= 1.03 * ideal(total, speeds));
  }
  SUBCASE("dynamic, which does not weigh devices, lets the slow one finish last") {
    const Simulated s = simulate(Schedule::dynamic(total / 64), total, 1, speed);
    CHECK(s.makespan > 5 * ideal(total, speed));
  }
}

TEST_CASE("a device estimated far too slow leaves; the last device in the run is never refused") {
  // The estimates call device 1 hopeless (it is not): it leaves, device 0 covers the range.
  const Simulated s = simulate(Schedule::hguided(), 5000, 1, {10, 10}, {1000, 0.001});
  check_coverage(s, 5000);
  CHECK(indices_of(s, 1) == 0);

  // A policy that refuses every device (zero weights): the last device still covers the range.
  const Simulated refused = simulate(Schedule::static_split({0, 0}), 300, 10, {1, 1});
  check_coverage(refused, 300);

  // One that refuses all but the device it names.
  const Simulated single = simulate(Schedule::single(0), 777, 7, {1, 1, 1});
  check_coverage(single, 777);
  CHECK(indices_of(single, 0) == 777);
}

TEST_CASE("the pace history static re-weights by: per kernel, range and device, averaged") {
  tessera::detail::PerfHistory history;
  CHECK_FALSE(history.rate("k", "[100]", 0));
  history.record("k", "[100]", 0, 1000.0);
  history.record("k", "[100]", 1, 10.0);
  history.record("k", "[100]", 0, 3000.0);  // a later run moves it halfway
  history.record("k", "[100]", 0, 0.0);     // nothing measured: ignored
  CHECK(*history.rate("k", "[100]", 0) == doctest::Approx(2000.0));
  CHECK(*history.rate("k", "[100]", 1) == doctest::Approx(10.0));
  CHECK_FALSE(history.rate("k", "[200]", 0));
  CHECK_FALSE(history.rate("other", "[100]", 0));
}

TEST_CASE("hguided: a device alone in the run cuts chunks only when they overlap transfers") {
  const Simulated zero_copy = simulate(Schedule::hguided(), 100000, 8, {1000}, {}, 2, {true});
  CHECK(zero_copy.chunks.size() == 1);
  const Simulated moving = simulate(Schedule::hguided(), 100000, 8, {1000}, {}, 2, {false});
  CHECK(moving.chunks.size() > 4);
  check_coverage(moving, 100000);
  // Once a far too slow device has left (after device 0 took its first two chunks, asking
  // first), the other takes the rest at once.
  const Simulated pair = simulate(Schedule::hguided(), 100000, 8, {1000, 0.01}, {}, 2, {true, true});
  CHECK(pair.chunks.size() == 3);
  CHECK(indices_of(pair, 0) == 100000);
}
