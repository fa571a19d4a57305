// The tessera command's command line, parsed without running anything: each subcommand's
// options, the answers (--help, --version), and usage errors of one line; then every input of
// the command line fuzzer's corpus against the fuzzer's contract.

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "cli/command_line.hpp"
#include "fuzz/command_line_contract.hpp"
#include "support/fuzz_corpus.hpp"

using tessera::cli::CommandLine;
using tessera::cli::parse_command_line;
using Args = std::vector<std::string>;

namespace {

// The options `args` parse into; fails the test when they parse into something else.
template <typename Options>
Options parsed_as(const Args& args) {
  const CommandLine parsed = parse_command_line(args);
  const auto* options = std::get_if<Options>(&parsed);
  REQUIRE(options != nullptr);
  return *options;
}

// The usage error `args` give, or "no error".
std::string usage_error(const Args& args) {
  try {
    parse_command_line(args);
  } catch (const tessera::cli::UsageError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("each subcommand parses into its options") {
  const auto devices = parsed_as<tessera::cli::DevicesOptions>(
      {"devices", "--json", "--devices", "cpu,-1", "--cpu-split", "2"});
  CHECK(devices.json);
  CHECK(devices.runtime.devices == "cpu,-1");
  CHECK(devices.runtime.cpu_split == 2);
  // Counts are decimal, leading zeros and all (C's reading would make "010" eight).
  CHECK(parsed_as<tessera::cli::DevicesOptions>({"devices", "--cpu-split", "010"}).runtime.cpu_split == 10);

  const auto build = parsed_as<tessera::cli::BuildOptions>(
      {"build", "k.cl", "-D", "A=1", "-DB", "--options", "-cl-fast-relaxed-math", "--json"});
  CHECK(build.file == "k.cl");
  CHECK(build.defines == Args{"A=1", "B"});
  CHECK(build.compiler_options == "-cl-fast-relaxed-math");
  CHECK(build.json);
  CHECK(build.runtime.devices.empty());

  const auto run = parsed_as<tessera::cli::RunOptions>(
      {"run", "a.toml", "b.toml", "--set", "n=1", "--set", "m=-2", "--set", "n=3", "--scheduler",
       "dynamic", "--dry-run", "--verify", "--report", "r.json", "--quiet"});
  CHECK(run.jobs == Args{"a.toml", "b.toml"});
  CHECK(run.sets == tessera::Job::Params{{"m", -2}, {"n", 3}});  // the last --set of a name
  CHECK(run.scheduler == "dynamic");
  CHECK(run.dry_run);
  CHECK(run.verify);
  CHECK(run.report == "r.json");
  CHECK(run.quiet);

  const auto validate = parsed_as<tessera::cli::ValidateOptions>(
      {"validate", "a.toml", "--set=n=9223372036854775807"});
  CHECK(validate.jobs == Args{"a.toml"});
  CHECK(validate.sets == tessera::Job::Params{{"n", INT64_MAX}});
  CHECK_FALSE(validate.quiet);
}

TEST_CASE("--set takes one value: job files after it stay job files") {
  CHECK(parsed_as<tessera::cli::RunOptions>({"run", "a.toml", "--set", "n=1", "b.toml"}).jobs ==
        Args{"a.toml", "b.toml"});
  CHECK(parsed_as<tessera::cli::ValidateOptions>({"validate", "--set", "n=1", "a.toml"}).jobs ==
        Args{"a.toml"});
}

TEST_CASE("--help and --version are answers to print") {
  const auto answer = [](const Args& args) { return parsed_as<tessera::cli::Answer>(args).text; };
  CHECK(answer({"--version"}).starts_with("tessera 0."));
  CHECK(answer({"--help"}).find("validate") != std::string::npos);
  CHECK(answer({"run", "--help"}).find("--scheduler") != std::string::npos);
  CHECK(answer({"build", "-h"}).find("-D") != std::string::npos);
}

TEST_CASE("usage errors are one line") {
  CHECK(usage_error({}) == "A subcommand is required");
  CHECK(usage_error({"bogus"}) == "unknown command 'bogus'");
  CHECK(usage_error({""}) == "unknown command ''");
  CHECK(usage_error({"run"}) == "jobs is required");
  CHECK(usage_error({"run", "a.toml", "--set", "n=lots"}) ==
        "--set 'n=lots': expected NAME=INTEGER, for example n=4096");
  for (const char* bad :
       {"=1", "n=", "n", "n=1.5", "n= 1", "n=+1", "n=0x10", "n=9223372036854775808x"}) {
    CAPTURE(bad);
    CHECK(usage_error({"validate", "a.toml", "--set", bad}) ==
          std::string("--set '") + bad + "': expected NAME=INTEGER, for example n=4096");
  }
  CHECK(usage_error({"validate", "a.toml", "--set", "n=9223372036854775808"}) ==
        "--set 'n=9223372036854775808': 9223372036854775808 is out of range: a param is a 64-bit signed integer, "
        "from -9223372036854775808 to 9223372036854775807");
  CHECK(usage_error({"devices", "--cpu-split", "0x10"}) == "--cpu-split: '0x10' is not a count in decimal digits");
  CHECK(usage_error({"worker", "--broker", "redis://h", "--concurrency", "+2"}) ==
        "--concurrency: '+2' is not a count in decimal digits");
  CHECK(usage_error({"devices", "--cpu-split", "0000"}).find("--cpu-split") == 0);  // 0: out of range
  CHECK(usage_error({"run", "a.toml", "--scheduler", "adaptive"}) ==
        "--scheduler: the 'adaptive' scheduler is not available yet; use 'hguided'");
  for (const Args& args :
       {Args{"devices", "--bogus"}, Args{"devices", "--cpu-split", "0"},
        Args{"devices", "--cpu-split", "4097"}, Args{"devices", "extra"}, Args{"build"},
        Args{"run", "a.toml", "--scheduler", "fastest"}, Args{"validate", "a.toml", "--verify"},
        Args{"run", "a.toml", "--set"}}) {
    std::string joined;
    for (const std::string& a : args) joined += a + ' ';
    CAPTURE(joined);
    CHECK(tessera::fuzz::command_line_contract_broken(args).empty());
    CHECK(usage_error(args) != "no error");
  }
}

TEST_CASE("every input in the command line fuzzer's corpus keeps the parser's contract") {
  const auto corpus = tessera::test::fuzz_corpus("command_line");
  for (const auto& [name, input] : corpus) {
    const std::string& file = name;  // CAPTURE cannot name a structured binding (Clang < 16)
    CAPTURE(file);
    CHECK(tessera::fuzz::command_line_contract_broken(tessera::fuzz::arguments_of(input)) == "");
  }
  CHECK(corpus.size() >= 20);
}
