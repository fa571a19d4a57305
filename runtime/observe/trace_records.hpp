#pragma once
// Internal: what a TraceWriter keeps of the runs it observes, shared by its two renderings (the
// trace JSON, trace_writer.cpp, and the SVG timeline, timeline_svg.cpp).

#include <cstdint>
#include <string>

#include "tessera/observer.hpp"

namespace tessera {

struct TraceWriter::Event {
  char phase = 'X';  // 'X' complete, 'C' counter
  std::string name;
  std::string category;
  int pid = 0;
  int tid = 0;
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  std::string args;  // the members of the "args" object, JSON, without braces
  // Launches that finished: their balance and the bytes they moved.
  double balance = -1;
  std::uint64_t bytes = 0;
};

struct TraceWriter::Command {
  CommandRecord record;
  int pid = 0;
  std::size_t kernel = 0;  // index into kernels_
  std::uint64_t launch = 0;
  Chunk chunk;
};

}  // namespace tessera
