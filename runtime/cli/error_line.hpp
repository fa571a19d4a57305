#pragma once
// The one line, compiler style, that the tessera command prints first for an error (after
// "error: "), shared by the commands and by the worker's failed tasks.

#include <string>

#include "tessera/error.hpp"

namespace tessera::cli {

/// A build error's first compiler diagnostic in any device's log ("FILE:LINE:COL: MESSAGE"),
/// when there is one; else what().
std::string error_line(const Error& e);

}  // namespace tessera::cli
