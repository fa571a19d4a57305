#pragma once
// Internal: what a TraceWriter keeps of the runs it observes, shared by its two renderings (the
// trace JSON, trace_writer.cpp, and the SVG timeline, timeline_svg.cpp).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/observer.hpp"

namespace tessera::detail {

/// A launch or a span, on the host's process.
struct TraceEvent {
  std::string name;
  std::string category;  // "launch", "step", "repetition", ...
  int pid = 0;
  int tid = 0;
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  std::string args;  // the members of the "args" object, JSON, without braces
  // Launches that finished: their balance and the bytes they moved.
  double balance = -1;
  std::uint64_t bytes = 0;
};

/// A device command.
struct TraceCommand {
  CommandRecord record;
  int pid = 0;
  std::size_t kernel = 0;  // index into the writer's kernel names
  std::uint64_t launch = 0;
  Chunk chunk;
};

/// The step spans among `events` (category "step"), in order.
std::vector<const TraceEvent*> step_spans(const std::vector<TraceEvent>& events);

/// The index in `spans` of the first span holding the time `at`; spans.size() when none does.
std::size_t span_at(const std::vector<const TraceEvent*>& spans, std::uint64_t at);

/// Writes `text` to `path` (a temporary file renamed into place); Error(io) naming `what`.
void save_text(const std::filesystem::path& path, std::string_view text, std::string_view what);

}  // namespace tessera::detail
