#include "cli/command.hpp"

#include "cli/log.hpp"

namespace tessera::cli {

void report_warnings(const Runtime& runtime) {
  for (const auto& line : runtime.warnings()) warn("{}", line);
}

}  // namespace tessera::cli
