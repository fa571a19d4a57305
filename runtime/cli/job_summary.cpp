#include "cli/job_summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "common/bytes_text.hpp"

namespace tessera::cli {
namespace {

// Every step's totals summed.
RunTotals job_totals(const JobReport& report) {
  RunTotals totals;
  for (const StepReport& s : report.steps) totals += s.totals;
  return totals;
}

// Bytes by why they moved (the transfer path's reasons).
nlohmann::json by_reason(const TransferBytes& t) {
  return {{"load", t.load}, {"halo", t.halo}, {"read_back", t.read_back}};
}

// The job's bytes moved against its minimum; the ratio is null when only the minimum is 0.
nlohmann::json to_json(const JobTransfers& t) {
  nlohmann::json moved = by_reason(t.moved), minimum = by_reason(t.minimum);
  moved["evict"] = t.moved.evict;
  moved["total"] = t.moved.total();
  minimum["total"] = t.minimum.total();
  const double ratio = t.ratio();
  return {{"moved", std::move(moved)},
          {"minimum", std::move(minimum)},
          {"ratio", std::isinf(ratio) ? nlohmann::json() : nlohmann::json(ratio)}};
}

nlohmann::json to_json(const RunsSummary& s) {
  nlohmann::json devices = nlohmann::json::array();
  for (const DeviceShare& d : s.devices) {
    devices.push_back({{"label", d.label}, {"device", d.name}, {"chunks", d.chunks}, {"items", d.items},
                       {"share", d.share}, {"busy_s", d.busy_s}, {"busy_percent", 100.0 * d.busy}, {"finished_s", d.finished_s},
                       {"bytes_in", d.bytes_in}, {"bytes_out", d.bytes_out},
                       {"moved", by_reason(d.moved)}});
  }
  return {{"repetitions", s.runs}, {"wall_s", s.wall_s}, {"items", s.items}, {"throughput_items_per_s", s.throughput},
          {"balance", s.balance}, {"bytes_in", s.bytes_in}, {"bytes_out", s.bytes_out}, {"devices", std::move(devices)}};
}

}  // namespace

RunsSummary summarise(const RunTotals& totals) {
  RunsSummary s;
  s.runs = totals.runs;
  s.items = totals.items;
  // The span from the first submission to the last end: repetitions submitted without waiting
  // overlap, so their own wall times (each from its submission) sum to more.
  s.wall_s = totals.ended_ns > totals.submitted_ns ? static_cast<double>(totals.ended_ns - totals.submitted_ns) * 1e-9
                                                   : totals.wall_s;
  s.balance = totals.balance();
  s.throughput = s.wall_s > 0 ? static_cast<double>(s.items) / s.wall_s : 0;
  std::map<std::string, DeviceShare> devices;  // in label order
  for (const DeviceRunStats& d : totals.devices) {  // one each, summed over the runs
    const std::string label = d.device.info().label();
    devices[label] = {.label = label, .name = d.device.name(), .chunks = d.chunks, .items = d.items,
                      .busy_s = d.busy_s, .finished_s = d.finished_s, .bytes_in = d.bytes_in,
                      .bytes_out = d.bytes_out, .moved = d.moved};
  }
  for (auto& [label, d] : devices) {
    d.share = s.items > 0 ? static_cast<double>(d.items) / static_cast<double>(s.items) : 0;
    d.busy = s.wall_s > 0 ? std::min(1.0, d.busy_s / s.wall_s) : 0;
    s.bytes_in += d.bytes_in;
    s.bytes_out += d.bytes_out;
    s.devices.push_back(d);
  }
  return s;
}

nlohmann::json report_json(const JobReport& r, const std::vector<CheckResult>& checks,
                           const std::vector<std::filesystem::path>& outputs) {
  nlohmann::json steps = nlohmann::json::array();
  for (const StepReport& s : r.steps) {
    nlohmann::json step = to_json(summarise(s.totals));
    step["step"] = s.step;
    step["kernel"] = s.kernel;
    steps.push_back(std::move(step));
  }
  nlohmann::json check_list = nlohmann::json::array();
  for (const auto& c : checks) check_list.push_back({{"buffer", c.buffer}, {"passed", c.passed}, {"message", c.message}});
  nlohmann::json files = nlohmann::json::array();
  for (const auto& p : outputs) files.push_back(p.string());
  nlohmann::json out = {{"job", r.name},  {"scheduler", r.scheduler}, {"wall_s", r.wall_s},
                        {"runs", to_json(summarise(job_totals(r)))},
                        {"steps", std::move(steps)}, {"checks", std::move(check_list)}, {"outputs", std::move(files)},
                        {"warnings", r.warnings}};
  if (r.transfers) out["transfers"] = to_json(*r.transfers);
  return out;
}

std::string summary_text(const JobReport& r, std::size_t outputs, const std::vector<CheckResult>& checks) {
  const RunsSummary s = summarise(job_totals(r));
  const auto passed = std::count_if(checks.begin(), checks.end(), [](const auto& c) { return c.passed; });
  std::string text = fmt::format(
      "{}: {} work-items in {:.4f} s on {} device(s) ({}): {:.3g} work-items/s, balance {:.2f}, {} in, {} out; {} "
      "output(s); {} of {} check(s) passed\n",
      r.name, s.items, r.wall_s, s.devices.size(), r.scheduler, s.throughput, s.balance, detail::bytes_text(s.bytes_in),
      detail::bytes_text(s.bytes_out), outputs, passed, checks.size());
  for (const DeviceShare& d : s.devices) {
    text += fmt::format("  device {:<5} {:<36} {:>6} chunk(s) {:>12} work-items {:5.1f} %  busy {:5.1f} %  in {}  out {}\n",
                        d.label, d.name, d.chunks, d.items, 100.0 * d.share, 100.0 * d.busy, detail::bytes_text(d.bytes_in),
                        detail::bytes_text(d.bytes_out));
  }
  return text;
}

}  // namespace tessera::cli
