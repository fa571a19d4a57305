// TraceWriter: runs as Chrome Trace Event JSON (the JSON Object Format: {"traceEvents": [...]}).
// Process 0 is the host (launches and spans); process d + 1 is the d-th device seen, with
// threads 1, 2, 3 for its write, kernel and read lanes.

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "common/atomic_file.hpp"
#include "observe/trace_records.hpp"
#include "tessera/error.hpp"
#include "tessera/observer.hpp"

namespace tessera {

namespace {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

constexpr int host_pid = 0;
constexpr int launch_tid = 0;

int lane_tid(Lane lane) { return static_cast<int>(lane) + 1; }

double micros(std::uint64_t ns, std::uint64_t origin) {
  return static_cast<double>(ns >= origin ? ns - origin : 0) / 1000.0;
}

std::string metadata(std::string_view what, int pid, int tid, std::string_view name) {
  return fmt::format(R"({{"ph":"M","name":{},"pid":{},"tid":{},"args":{{"name":{}}}}})", json_string(what), pid, tid,
                     json_string(name));
}

}  // namespace

TraceWriter::TraceWriter(std::filesystem::path path) : path_(std::move(path)) {}

TraceWriter::~TraceWriter() {
  try {
    if (!written_ && !path_.empty()) write();
  } catch (...) {
  }
}

namespace {

// The index of `name` in `names`, added when new (the lists are short: devices, kernels).
std::size_t intern(std::vector<std::string>& names, std::string_view name) {
  const auto found = std::find(names.begin(), names.end(), name);
  if (found != names.end()) return static_cast<std::size_t>(found - names.begin());
  names.emplace_back(name);
  return names.size() - 1;
}

}  // namespace

void TraceWriter::on_chunk(const ChunkEvent& e) {
  const std::lock_guard lock(mutex_);
  const int pid = static_cast<int>(intern(devices_, e.device_name)) + 1;
  const std::size_t kernel = intern(kernels_, e.kernel);
  for (const CommandRecord& c : e.commands) commands_.push_back({c, pid, kernel, e.launch, e.chunk});
}

void TraceWriter::on_transfer(const TransferEvent& e) {
  const std::lock_guard lock(mutex_);
  const int pid = static_cast<int>(intern(devices_, e.device_name)) + 1;
  commands_.push_back({e.command, pid, intern(kernels_, fmt::format("array {}", e.array)), 0, Chunk{}});
}

void TraceWriter::on_device_memory(const MemoryEvent& e) {
  const std::lock_guard lock(mutex_);
  const int pid = static_cast<int>(intern(devices_, e.device_name)) + 1;
  memory_.emplace_back(pid, e.at_ns, e.bytes);
}

void TraceWriter::on_launch(const LaunchEvent& e) {
  detail::TraceEvent ev;
  ev.name = fmt::format("launch {} {}", e.launch, e.kernel);
  ev.category = "launch";
  ev.pid = host_pid;
  ev.tid = launch_tid;
  ev.start_ns = e.start_ns;
  ev.end_ns = std::max(e.end_ns, e.start_ns);
  if (e.stats != nullptr) {
    ev.balance = e.stats->balance();
    for (const auto& d : e.stats->devices) ev.bytes += d.bytes_in + d.bytes_out;
  }
  ev.args = fmt::format(R"("launch":{},"kernel":{},"global":{},"chunks":{},"status":{})", e.launch, json_string(e.kernel),
                        json_string(e.global.to_string()), e.stats != nullptr ? e.stats->ledger.size() : 0,
                        json_string(e.stats == nullptr ? "failed" : e.stats->cancelled ? "cancelled" : "finished"));
  const std::lock_guard lock(mutex_);
  events_.push_back(std::move(ev));
  for (const std::uint64_t from : e.depends_on) flows_.emplace_back(from, e.launch);
}

void TraceWriter::on_span(const SpanEvent& e) {
  detail::TraceEvent ev;
  ev.name = e.name;
  ev.category = e.category;
  ev.pid = host_pid;
  ev.tid = e.category == "repetition" ? 2 : 1;
  ev.start_ns = e.start_ns;
  ev.end_ns = std::max(e.end_ns, e.start_ns);
  const std::lock_guard lock(mutex_);
  events_.push_back(std::move(ev));
}

void TraceWriter::write() {
  const std::lock_guard lock(mutex_);
  std::uint64_t origin = UINT64_MAX;
  for (const detail::TraceEvent& e : events_) origin = std::min(origin, e.start_ns);
  for (const detail::TraceCommand& c : commands_) origin = std::min(origin, c.record.start_ns);
  for (const auto& [pid, at, bytes] : memory_) origin = std::min(origin, at);
  std::vector<std::string> lines;
  lines.push_back(metadata("process_name", host_pid, 0, "host"));
  lines.push_back(metadata("thread_name", host_pid, launch_tid, "launches"));
  lines.push_back(metadata("thread_name", host_pid, 1, "steps"));
  lines.push_back(metadata("thread_name", host_pid, 2, "repetitions"));
  for (std::size_t d = 0; d < devices_.size(); ++d) {
    const int pid = static_cast<int>(d) + 1;
    lines.push_back(metadata("process_name", pid, 0, "device " + devices_[d]));
    for (const Lane lane : {Lane::write, Lane::kernel, Lane::read}) {
      lines.push_back(metadata("thread_name", pid, lane_tid(lane), to_string(lane)));
    }
  }
  const auto complete = [&](std::string_view name, std::string_view category, int pid, int tid, std::uint64_t start,
                            std::uint64_t end, std::string_view args) {
    lines.push_back(fmt::format(R"({{"ph":"X","name":{},"cat":{},"pid":{},"tid":{},"ts":{:.3f},"dur":{:.3f},"args":{{{}}}}})",
                                json_string(name), json_string(category), pid, tid, micros(start, origin),
                                static_cast<double>(std::max(end, start) - start) / 1000.0, args));
  };
  for (const detail::TraceEvent& e : events_) complete(e.name, e.category, e.pid, e.tid, e.start_ns, e.end_ns, e.args);
  // A command's step: the step span (the job runner's) it started in, if any.
  const auto spans = detail::step_spans(events_);
  const auto step_of = [&](std::uint64_t at) {
    const std::size_t s = detail::span_at(spans, at);
    return s < spans.size() ? json_string(spans[s]->name) : std::string("null");
  };
  std::map<std::uint64_t, std::pair<const detail::TraceCommand*, const detail::TraceCommand*>> kernels_of;
  // Bytes in flight per device: each transfer counts from its start to its end.
  std::map<int, std::vector<std::pair<std::uint64_t, std::int64_t>>> steps;
  for (const detail::TraceCommand& c : commands_) {
    const CommandRecord& r = c.record;
    const bool kernel = r.lane == Lane::kernel;
    const std::string direction = r.lane == Lane::write ? "to device" : "to host";
    const std::string name = r.reason == TransferReason::none ? direction : std::string(to_string(r.reason));
    complete(kernel ? kernels_[c.kernel] : fmt::format("{} {} B", name, r.bytes), kernel ? "kernel" : "transfer", c.pid,
             lane_tid(r.lane), r.start_ns, r.end_ns,
             fmt::format(R"("launch":{},"step":{},"kernel":{},"chunk":{},"offset":{},"size":{},"bytes":{}{})", c.launch,
                         step_of(r.start_ns), json_string(kernels_[c.kernel]), c.chunk.sequence, c.chunk.offset,
                         c.chunk.size, r.bytes,
                         kernel ? "" : fmt::format(R"(,"reason":{})", json_string(to_string(r.reason)))));
    if (kernel) {
      // A launch's kernels: where flow arrows leave (its last) and arrive (its first).
      auto [it, fresh] = kernels_of.try_emplace(c.launch, &c, &c);
      if (!fresh && r.start_ns < it->second.first->record.start_ns) it->second.first = &c;
      if (!fresh && r.start_ns > it->second.second->record.start_ns) it->second.second = &c;
      continue;
    }
    const auto bytes = static_cast<std::int64_t>(r.bytes);
    steps[c.pid].emplace_back(r.start_ns, bytes);
    steps[c.pid].emplace_back(std::max(r.end_ns, r.start_ns), -bytes);
  }
  for (auto& [pid, changes] : steps) {
    std::sort(changes.begin(), changes.end());
    std::int64_t in_flight = 0;
    for (const auto& [at, delta] : changes) {
      in_flight += delta;
      lines.push_back(fmt::format(R"({{"ph":"C","name":"bytes in flight","pid":{},"ts":{:.3f},"args":{{"bytes":{}}}}})",
                                  pid, micros(at, origin), in_flight));
    }
  }
  // Dependencies: an arrow from a launch's last kernel to the first kernel of one that needs it.
  std::uint64_t flow = 0;
  for (const auto& [from, to] : flows_) {
    const auto a = kernels_of.find(from), b = kernels_of.find(to);
    if (a == kernels_of.end() || b == kernels_of.end()) continue;
    const detail::TraceCommand& s = *a->second.second;
    const detail::TraceCommand& f = *b->second.first;
    ++flow;
    lines.push_back(fmt::format(R"({{"ph":"s","name":"needs","cat":"dependency","id":{},"pid":{},"tid":{},"ts":{:.3f}}})",
                                flow, s.pid, lane_tid(Lane::kernel), micros(s.record.start_ns, origin)));
    lines.push_back(fmt::format(
        R"({{"ph":"f","bp":"e","name":"needs","cat":"dependency","id":{},"pid":{},"tid":{},"ts":{:.3f}}})", flow, f.pid,
        lane_tid(Lane::kernel), micros(f.record.start_ns, origin)));
  }
  for (const auto& [pid, at, bytes] : memory_) {
    lines.push_back(fmt::format(R"({{"ph":"C","name":"array memory","pid":{},"ts":{:.3f},"args":{{"bytes":{}}}}})", pid,
                                micros(at, origin), bytes));
  }
  std::string text = "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  for (std::size_t i = 0; i < lines.size(); ++i) text += lines[i] + (i + 1 < lines.size() ? ",\n" : "\n");
  text += "]}\n";
  detail::save_text(path_, text, "the trace");
  written_ = true;
}

namespace detail {

std::vector<const TraceEvent*> step_spans(const std::vector<TraceEvent>& events) {
  std::vector<const TraceEvent*> spans;
  for (const TraceEvent& e : events) {
    if (e.category == "step") spans.push_back(&e);
  }
  return spans;
}

std::size_t span_at(const std::vector<const TraceEvent*>& spans, std::uint64_t at) {
  for (std::size_t s = 0; s < spans.size(); ++s) {
    if (at >= spans[s]->start_ns && at <= spans[s]->end_ns) return s;
  }
  return spans.size();
}

void save_text(const std::filesystem::path& path, std::string_view text, std::string_view what) {
  try {
    write_file_atomically(path, std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
  } catch (const std::exception& e) {
    throw Error(Errc::io, fmt::format("cannot write {} {}: {}", what, path.string(), e.what()));
  }
}

}  // namespace detail
}  // namespace tessera
