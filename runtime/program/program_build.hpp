#pragma once
// Internal: building a program for every device of a runtime (Runtime::compile).

#include <string_view>

#include "runtime_state.hpp"
#include "tessera/program.hpp"
#include "tessera/source.hpp"

namespace tessera::detail {

/// Builds `source` on every device of `runtime`: identical devices compile once, groups of them
/// in parallel, through the binary cache. See Runtime::compile.
Program build_program(const RuntimeState& runtime, const Source& source, std::string_view options,
                      const Defines& defines);

}  // namespace tessera::detail
