#pragma once
// Internal: where a worker's broker is. The URL form is Celery's for Redis:
//   redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]     (port 6379 and database 0 by default)

#include <string>
#include <string_view>

namespace tessera::detail {

struct BrokerUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string username;  ///< empty: AUTH with the password alone (Redis before ACLs)
  std::string password;  ///< empty: no AUTH

  /// The URL without its password, for log lines ("redis://:***@host:6379/0").
  std::string display() const;
};

/// Parses a broker URL. Throws Error(invalid_argument) naming what is wrong: another scheme,
/// an empty host, a port or database number that is not a number in range, a query string.
BrokerUrl parse_broker_url(std::string_view url);

}  // namespace tessera::detail
