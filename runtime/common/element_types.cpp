// The public questions about element types, answered from the one table.

#include "common/element_types.hpp"

namespace tessera {

// The table is indexed by the enum's value.
static_assert([] {
  for (std::size_t i = 0; i < detail::element_types.size(); ++i) {
    if (static_cast<std::size_t>(detail::element_types[i].type) != i) return false;
  }
  return true;
}());
// Each signed integer type is followed by its unsigned twin (scalar_parameter_type relies on it).
static_assert([] {
  for (std::size_t i = 0; i + 1 < detail::element_types.size(); i += 2) {
    const auto& s = detail::element_types[i];
    const auto& u = detail::element_types[i + 1];
    if (s.floating) break;
    if (!s.is_signed || u.is_signed || s.size != u.size) return false;
  }
  return true;
}());

std::string_view to_string(ElementType type) noexcept { return detail::info_of(type).name; }

std::size_t size_of(ElementType type) noexcept { return detail::info_of(type).size; }

bool is_floating(ElementType type) noexcept { return detail::info_of(type).floating; }

std::optional<ElementType> element_type_named(std::string_view name) noexcept {
  for (const auto& t : detail::element_types) {
    if (t.name == name) return t.type;
  }
  return std::nullopt;
}

namespace detail {

std::optional<ElementType> scalar_parameter_type(std::string_view type) noexcept {
  constexpr std::string_view unsigned_prefix = "unsigned ";
  if (type.substr(0, unsigned_prefix.size()) == unsigned_prefix) {
    const auto base = element_type_named(type.substr(unsigned_prefix.size()));
    if (!base || is_floating(*base) || !info_of(*base).is_signed) return std::nullopt;
    return static_cast<ElementType>(static_cast<int>(*base) + 1);  // the unsigned type follows its signed one
  }
  if (type == "size_t" || type == "uintptr_t") return ElementType::u64;
  if (type == "ptrdiff_t" || type == "intptr_t") return ElementType::i64;
  return element_type_named(type);
}

}  // namespace detail
}  // namespace tessera
