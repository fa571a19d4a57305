#pragma once
// Internal: base64 (RFC 4648, the standard alphabet, '=' padding), as kombu encodes message
// bodies and as task results carry output files.

#include <optional>
#include <string>
#include <string_view>

namespace tessera::detail {

std::string base64_encode(std::string_view bytes);
/// The bytes `text` encodes; nothing when it is not base64 (a character outside the alphabet,
/// a length that is not a multiple of 4, padding anywhere but at the end). Whitespace is not
/// accepted.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tessera::detail
