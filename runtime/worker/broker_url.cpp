#include "worker/broker_url.hpp"

#include <fmt/format.h>

#include <charconv>

#include "tessera/error.hpp"

namespace tessera::detail {
namespace {

[[noreturn]] void refuse(std::string_view url, std::string_view why) {
  throw Error(Errc::invalid_argument,
              fmt::format("--broker '{}': {} (expected redis://[:PASSWORD@]HOST[:PORT][/DB])", url, why));
}

int number_in(std::string_view url, std::string_view text, int lo, int hi, std::string_view what) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < lo || value > hi) {
    refuse(url, fmt::format("{} '{}' is not a number from {} to {}", what, text, lo, hi));
  }
  return value;
}

}  // namespace

std::string BrokerUrl::display() const {
  const std::string auth = password.empty() ? std::string() : fmt::format("{}:***@", username);
  return fmt::format("redis://{}{}:{}/{}", auth, host, port, db);
}

BrokerUrl parse_broker_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (!url.starts_with(scheme)) refuse(url, "only redis:// brokers are supported");
  std::string_view rest = url.substr(scheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) refuse(url, "options in the URL are not supported");
  BrokerUrl b;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view auth = rest.substr(0, at);
    const auto colon = auth.find(':');
    if (colon == std::string_view::npos) refuse(url, "credentials are USER:PASSWORD or :PASSWORD");
    b.username = std::string(auth.substr(0, colon));
    b.password = std::string(auth.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  std::string_view host_port = rest;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    host_port = rest.substr(0, slash);
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) b.db = number_in(url, db, 0, 1 << 20, "database");
  }
  if (const auto colon = host_port.rfind(':'); colon != std::string_view::npos) {
    b.port = number_in(url, host_port.substr(colon + 1), 1, 65535, "port");
    host_port = host_port.substr(0, colon);
  }
  if (host_port.empty()) refuse(url, "no host");
  b.host = std::string(host_port);
  return b;
}

}  // namespace tessera::detail
