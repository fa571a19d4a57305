#include "engine/write_check.hpp"

#include <fmt/format.h>

#include <cstring>
#include <optional>

#include "common/element_types.hpp"

namespace tessera::detail {
namespace {

// The first offending element and how many offend, gathered one element at a time.
struct Tally {
  std::optional<std::size_t> first;
  std::size_t count = 0;
  void add(std::size_t element) {
    if (!first) first = element;
    ++count;
  }
};

std::string role_text(const BufferArg& b) {
  switch (b.role()) {
    case BufferArg::Role::split: return "split";
    case BufferArg::Role::halo: return "halo";
    case BufferArg::Role::whole: return "whole";
    case BufferArg::Role::reduce: return "reduce";
    case BufferArg::Role::scatter: return "scatter";
  }
  return "split";
}

WriteFinding finding(WriteFinding::Kind kind, const BufferPlan& bp, const Tally& t, const CheckedChunk& where,
                     std::string_view what, std::string_view fits) {
  WriteFinding f;
  f.kind = kind;
  f.arg = bp.arg;
  f.element = *t.first;
  f.elements = t.count;
  f.chunk = where.chunk;
  f.device = where.device;
  f.message = fmt::format("kernel '{}' argument {} ({}, {}): chunk [{}, {}) on '{}' {} {} element(s), the first "
                          "element {}; {}",
                          where.kernel, bp.arg, to_string(bp.buffer.access()), role_text(bp.buffer),
                          where.chunk.offset, where.chunk.offset + where.chunk.size, where.device_name, what, t.count,
                          *t.first, fits);
  return f;
}

}  // namespace

std::vector<WriteFinding> judge_writes(const BufferPlan& bp, const GuardedCopy& copy,
                                       const Slab& own, const CheckedChunk& where) {
  const std::size_t size = size_of(bp.buffer.type());
  const std::size_t bytes = copy.after[0].size();
  const bool input = bp.buffer.access() == Access::read || bp.buffer.role() == BufferArg::Role::whole;
  const bool write_only = bp.buffer.access() == Access::write;
  Tally outside, unwritten, written, unsent;
  for (std::size_t at = 0; at + size <= bytes; at += size) {
    const std::size_t element = (copy.origin + at) / size;
    bool changed[2];
    for (std::size_t g = 0; g < 2; ++g) {
      changed[g] = std::memcmp(copy.after[g].data() + at, copy.before[g].data() + at, size) != 0;
    }
    const bool mine = own.contains(copy.origin + at);
    if (input) {
      if (changed[0] || changed[1]) written.add(element);
    } else if (!mine) {
      if (changed[0] || changed[1]) outside.add(element);
    } else if (write_only && !changed[0] && !changed[1]) {
      unwritten.add(element);
    } else if ((changed[0] || changed[1]) &&
               std::memcmp(copy.after[0].data() + at, copy.after[1].data() + at, size) != 0) {
      unsent.add(element);
    }
  }
  std::vector<WriteFinding> out;
  if (written.count > 0) {
    out.push_back(finding(WriteFinding::Kind::wrote_input, bp, written, where,
                          bp.buffer.role() == BufferArg::Role::whole ? "wrote, in a buffer given whole (read-only),"
                                                                      : "wrote, in a buffer given as read,",
                          "give it read_write access (and the scatter role if it writes outside its chunk's "
                          "slice)"));
  }
  if (outside.count > 0) {
    out.push_back(finding(WriteFinding::Kind::outside_slice, bp, outside, where, "wrote, outside its slice,",
                          "give it the scatter role when each element has one writer (each chunk writes a copy "
                          "of the whole buffer; the elements it changes are merged), the reduce role when "
                          "work-items add into shared elements, or run it on one device"));
  }
  if (unsent.count > 0) {
    out.push_back(finding(WriteFinding::Kind::read_outside, bp, unsent, where,
                          "wrote values that change with the guard values of unsent elements, in its slice,",
                          "it reads elements of an input outside its chunk's slice: give that input a halo, or "
                          "pass it whole"));
  }
  if (unwritten.count > 0) {
    out.push_back(finding(WriteFinding::Kind::unwritten, bp, unwritten, where, "left unwritten, in its write slice,",
                          "give it read_write access: elements it does not write then keep their values"));
  }
  return out;
}

}  // namespace tessera::detail
