// [params]: integers and integer expressions, overridden by --set, resolved in dependency order.

#include <fmt/format.h>

#include <map>

#include "job/load_sections.hpp"

namespace tessera::detail {

void load_params(const TomlReader& in, const toml::table& root, const ParamOverrides& overrides,
                 JobSpec& spec) {
  std::map<std::string, ParamValue, std::less<>> table;
  std::map<std::string, const toml::node*, std::less<>> nodes;
  if (const auto* node = root.get("params")) {
    for (const auto& [key, value] : entries(in.table_at(*node, "params"))) {
      const std::string name(key->str());
      const std::string path = child("params", name);
      if (!is_identifier(name)) {
        in.fail(pos_of(*key), path,
                fmt::format("'{}' cannot be used in expressions: a param's name is letters, digits "
                            "and '_', not starting with a digit",
                            name));
      }
      if (const auto* i = value->as_integer()) {
        table.emplace(name, i->get());
      } else if (const auto* s = value->as_string()) {
        table.emplace(name, s->get());
      } else {
        in.fail(pos_of(*value), path,
                fmt::format("expected an integer or an expression string, found {}", kind_of(*value)));
      }
      nodes.emplace(name, value);
    }
  }
  std::vector<std::string> names;
  for (const auto& [name, value] : table) names.push_back(name);
  for (const auto& [name, value] : overrides) {
    const auto it = table.find(name);
    if (it == table.end()) {
      in.fail({}, fmt::format("--set {}", name),
              names.empty() ? fmt::format("no param '{}': the job has no [params]", name)
                            : fmt::format("no param '{}' in [params]{}", name, did_you_mean(name, names)));
    }
    it->second = value;
  }
  try {
    spec.params = resolve_params(table);
  } catch (const ExpressionError& e) {
    const toml::node& node = *nodes.at(e.param());
    const std::string path = child("params", e.param());
    if (node.is_string()) in.fail(TomlReader::inside(node, e.offset()), path, e.what());
    in.fail(pos_of(node), path, e.what());
  }
}

}  // namespace tessera::detail
