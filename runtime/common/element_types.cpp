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

std::string_view to_string(ElementType type) noexcept { return detail::info_of(type).name; }

std::size_t size_of(ElementType type) noexcept { return detail::info_of(type).size; }

bool is_floating(ElementType type) noexcept { return detail::info_of(type).floating; }

std::optional<ElementType> element_type_named(std::string_view name) noexcept {
  for (const auto& t : detail::element_types) {
    if (t.name == name) return t.type;
  }
  return std::nullopt;
}

}  // namespace tessera
