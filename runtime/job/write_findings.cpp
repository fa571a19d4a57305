#include "job/write_findings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace tessera::detail {
namespace {

std::string_view what_of(WriteFinding::Kind kind, BufferRef::Role role) {
  switch (kind) {
    case WriteFinding::Kind::outside_slice: return "wrote, outside its slice,";
    case WriteFinding::Kind::unwritten: return "left unwritten, in its slice,";
    case WriteFinding::Kind::read_outside:
      return "wrote values that change with the guard values of unsent elements, in its slice,";
    case WriteFinding::Kind::wrote_input: break;
  }
  return role == BufferRef::Role::whole ? "wrote, in a buffer passed whole (read-only)," : "wrote, in a buffer it only reads,";
}

std::string_view fits(WriteFinding::Kind kind) {
  switch (kind) {
    case WriteFinding::Kind::outside_slice:
      return "each chunk may write its own slice only: fits scatter = true when each element has one writer "
             "(each chunk writes a copy of the whole buffer; the elements it changes are merged), reduce = \"sum\" "
             "when work-items add into shared elements, or scheduler = \"single\"";
    case WriteFinding::Kind::read_outside:
      return "it reads elements of an input outside its chunk's slice: fits halo = WIDTH on that input, or "
             "whole = true";
    case WriteFinding::Kind::unwritten:
      return "access = \"write\" promises that the kernel writes every element of its slice: fits access = "
             "\"read_write\" (elements it does not write keep their values)";
    case WriteFinding::Kind::wrote_input: break;
  }
  return "fits access = \"read_write\" (with scatter = true when it writes outside its slice)";
}

}  // namespace

std::vector<std::string> describe_findings(const JobSpec& job, const JobReport& report) {
  std::vector<std::string> out;
  for (std::size_t k = 0; k < report.steps.size() && k < job.steps.size(); ++k) {
    std::vector<std::pair<std::size_t, WriteFinding::Kind>> seen;
    // The r-th run of a step inside a loop is its r-th launch, over the loop's iterations.
    const std::string_view nth = job.steps[k].path.find(".do[") != std::string::npos ? "launch" : "repetition";
    for (std::size_t r = 0; r < report.steps[k].runs.size(); ++r) {
      const RunStats& run = report.steps[k].runs[r];
      for (const WriteFinding& f : run.findings) {
        if (std::find(seen.begin(), seen.end(), std::pair{f.arg, f.kind}) != seen.end()) continue;
        seen.emplace_back(f.arg, f.kind);
        const ArgSpec& a = job.steps[k].args.at(f.arg);
        const auto& ref = std::get<BufferRef>(a.arg);
        const auto& info = run.devices.at(f.device).device.info();
        out.push_back(fmt::format("{}:{}:{}: {}.args[{}]: buffer '{}' (access \"{}\"){}: chunk [{}, {}) on "
                                  "device {} '{}' {} {} element(s), the first element {}; {}",
                                  job.file, a.pos.line, a.pos.column, job.steps[k].path, f.arg, ref.buffer,
                                  to_string(ref.access), r > 0 ? fmt::format(", {} {}", nth, r) : std::string(),
                                  f.chunk.offset, f.chunk.offset + f.chunk.size, info.label(), info.name,
                                  what_of(f.kind, ref.role), f.elements, f.element, fits(f.kind)));
      }
    }
  }
  return out;
}

}  // namespace tessera::detail
