#pragma once
// The contract of the tessera command's command line parser, as the fuzzer (fuzz_command_line)
// and the test suite (test_command_line, which replays the fuzzer's corpus) check it: every
// argument vector gives a command whose required arguments are there and whose options are in
// range, or an answer (--help, --version), or one cli::UsageError of one line. Nothing runs.

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "cli/command_line.hpp"
#include "job/schedule_from_job.hpp"

namespace tessera::fuzz {

/// The arguments a fuzz input stands for: its pieces between NULs and newlines, the empty piece
/// after a final separator left out (so a file of one argument per line reads naturally).
inline std::vector<std::string> arguments_of(std::string_view input) {
  std::vector<std::string> args;
  while (!input.empty()) {
    const std::size_t end =
        std::min(input.find_first_of(std::string_view("\0\n", 2)), input.size());
    args.emplace_back(input.substr(0, end));
    input.remove_prefix(std::min(end + 1, input.size()));
  }
  return args;
}

/// What is wrong with the parse of `args`, or "" when it keeps the contract above. Exceptions
/// other than UsageError leave it: they break the contract too.
inline std::string command_line_contract_broken(const std::vector<std::string>& args) {
  cli::CommandLine parsed;
  try {
    parsed = cli::parse_command_line(args);
  } catch (const cli::UsageError& e) {
    const std::string message = e.what();
    if (message.empty() || message.find('\n') != std::string::npos) {
      return "a usage error that is not one line: '" + message + "'";
    }
    return message.starts_with("error") ? "a usage error that says 'error' twice: " + message : "";
  }
  return std::visit(
      [](const auto& command) -> std::string {
        using Command = std::decay_t<decltype(command)>;
        if constexpr (std::is_same_v<Command, cli::Answer>) {
          return command.text.empty() ? "an empty answer" : "";
        } else {
          if (command.runtime.cpu_split > 4096) return "--cpu-split above 4096";
          if constexpr (std::is_base_of_v<cli::ValidateOptions, Command>) {
            if (command.jobs.empty()) return "no job file";
          }
          if constexpr (std::is_same_v<Command, cli::WorkerCommandOptions>) {
            if (command.broker.empty()) return "a worker without a broker";
            if (command.concurrency < 1 || command.concurrency > 256) return "--concurrency out of 1 to 256";
            if (!(command.visibility_timeout >= 0.1)) return "--visibility-timeout below 0.1 s";
          }
          if constexpr (std::is_same_v<Command, cli::SubmitOptions>) {
            if (command.job.empty() || command.broker.empty()) return "a submit without its job or broker";
          }
          if constexpr (std::is_same_v<Command, cli::RunOptions>) {
            const auto& names = detail::scheduler_names();
            if (!command.scheduler.empty() &&
                std::find(names.begin(), names.end(), command.scheduler) == names.end()) {
              return "an unknown scheduler: " + command.scheduler;
            }
          }
          return "";
        }
      },
      parsed);
}

}  // namespace tessera::fuzz
