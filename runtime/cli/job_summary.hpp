#pragma once
// What a job's run did, summed per device over its steps and repetitions: for the line the
// command prints at the end of a run and for --report.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tessera/jobs.hpp"

namespace tessera::cli {

/// One device's part in a set of runs.
struct DeviceShare {
  std::string label;
  std::string name;
  std::size_t chunks = 0;
  std::size_t items = 0;
  double share = 0;    ///< its items / all items
  double busy_s = 0;   ///< kernel time
  double busy = 0;     ///< busy_s / the runs' wall time (0 to 1)
  double finished_s = 0;  ///< when its last chunk ended, from each run's start, summed over the runs
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  TransferBytes moved;  ///< launches over arrays: bytes by reason (load, halo, read back)
};

/// A set of runs (a step's repetitions, or a whole job).
struct RunsSummary {
  std::size_t runs = 0;
  std::size_t items = 0;
  double wall_s = 0;        ///< the runs' wall times summed
  double throughput = 0;    ///< items / wall_s
  double balance = 0;       ///< the mean of RunStats::balance() over the runs
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::vector<DeviceShare> devices;  ///< in label order
};

/// Runs' totals as the report gives them: devices in label order, with their shares and busy
/// fractions of the runs' wall time.
RunsSummary summarise(const RunTotals& totals);

/// The --report entry of one job: its steps (each a RunsSummary), the job's own totals, checks,
/// outputs and warnings.
nlohmann::json report_json(const JobReport& report, const std::vector<CheckResult>& checks,
                           const std::vector<std::filesystem::path>& outputs);

/// The lines the command prints after a job: the totals, then one per device.
std::string summary_text(const JobReport& report, std::size_t outputs, const std::vector<CheckResult>& checks);

}  // namespace tessera::cli
