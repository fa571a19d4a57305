// libFuzzer target: job-file integer expressions. The input is evaluated as one expression
// against a few params, then read as a [params] table (one "name = expression" per line) and
// resolved. Every input must give a value or an ExpressionError whose offset lies inside the text.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "job/expression.hpp"

namespace {

using tessera::detail::ExpressionError;

void evaluate_one(std::string_view text) {
  static const tessera::detail::ParamValues values = {
      {"n", 1048576}, {"w", 1024}, {"h", 768}, {"zero", 0}, {"max", INT64_MAX}, {"min", INT64_MIN}};
  try {
    tessera::detail::evaluate_expression(text, values);
  } catch (const ExpressionError& e) {
    if (e.offset() > text.size()) std::abort();
  }
}

void resolve_table(std::string_view text) {
  std::map<std::string, tessera::detail::ParamValue, std::less<>> table;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name(line.substr(0, eq));
    while (!name.empty() && name.back() == ' ') name.pop_back();
    table.insert_or_assign(std::move(name), std::string(line.substr(eq + 1)));
  }
  try {
    const auto values = tessera::detail::resolve_params(table);
    if (values.size() != table.size()) std::abort();
  } catch (const ExpressionError& e) {
    const auto param = table.find(e.param());
    if (param == table.end()) std::abort();
    if (e.offset() > std::get<std::string>(param->second).size()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  evaluate_one(text);
  resolve_table(text);
  return 0;
}
