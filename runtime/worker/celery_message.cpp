#include "worker/celery_message.hpp"

#include <fmt/format.h>

#include <ctime>
#include <random>

#include "worker/base64.hpp"

namespace tessera::detail {
namespace {

using nlohmann::json;

const json* member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string string_member(const json& object, const char* key) {
  const json* v = member(object, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::optional<std::string> optional_string(const json& object, const char* key) {
  const json* v = member(object, key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

bool true_member(const json& object, const char* key) {
  const json* v = member(object, key);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

// The body's bytes: base64 as kombu's Redis transport writes it, or the JSON text itself.
std::optional<std::string> body_bytes(const json& envelope, std::string& why) {
  const json* body = member(envelope, "body");
  if (body == nullptr || !body->is_string()) {
    why = "the message has no body string";
    return std::nullopt;
  }
  const std::string encoding = string_member(*member(envelope, "properties"), "body_encoding");
  if (encoding.empty()) return body->get<std::string>();
  if (encoding != "base64") {
    why = fmt::format("body encoding '{}' is not supported (base64)", encoding);
    return std::nullopt;
  }
  auto bytes = base64_decode(body->get_ref<const std::string&>());
  if (!bytes) why = "the body is not base64";
  return bytes;
}

// Reads the protocol 2 body [args, kwargs, embed] into `m`; the reason when it is not one.
std::optional<std::string> read_body(const std::string& bytes, TaskMessage& m) {
  json body = json::parse(bytes, nullptr, false);
  if (body.is_discarded()) return "the body is not JSON";
  if (!body.is_array() || body.size() < 2 || body.size() > 3) {
    return "the body is not [args, kwargs, embed] (Celery message protocol 2)";
  }
  if (!body[0].is_array()) return "the task's args are not a list";
  if (!body[1].is_object()) return "the task's kwargs are not a mapping";
  m.args = std::move(body[0]);
  m.kwargs = std::move(body[1]);
  return std::nullopt;
}

// The checks of the envelope that need no body; the reason when one fails.
std::optional<std::string> check_envelope(const json& envelope) {
  const std::string type = string_member(envelope, "content-type");
  if (type != "application/json") {
    return fmt::format("content type '{}' is not supported: send JSON (task_serializer = \"json\")", type);
  }
  const std::string encoding = string_member(envelope, "content-encoding");
  if (!encoding.empty() && encoding != "utf-8") return fmt::format("content encoding '{}' is not supported (utf-8)", encoding);
  if (member(*member(envelope, "headers"), "compression") != nullptr) return "compressed messages are not supported";
  return std::nullopt;
}

}  // namespace

bool plausible_task_id(std::string_view id) {
  if (id.empty() || id.size() > 255) return false;
  for (const char c : id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

ParsedMessage parse_task_message(std::string_view raw) {
  RejectedMessage rejected;
  json envelope = json::parse(raw, nullptr, false);
  if (envelope.is_discarded() || !envelope.is_object()) {
    rejected.reason = "the message is not a JSON object";
    return rejected;
  }
  const json* headers = member(envelope, "headers");
  const json* properties = member(envelope, "properties");
  if (properties == nullptr || !properties->is_object()) {
    rejected.reason = "the message has no properties";
    return rejected;
  }
  rejected.delivery_tag = string_member(*properties, "delivery_tag");
  if (headers == nullptr || !headers->is_object() || member(*headers, "task") == nullptr) {
    rejected.reason = "the message has no task header (Celery message protocol 2 is required)";
    rejected.task_id = string_member(*properties, "correlation_id");
    if (!plausible_task_id(rejected.task_id)) rejected.task_id.clear();
    return rejected;
  }
  TaskMessage m;
  m.id = string_member(*headers, "id");
  m.task = string_member(*headers, "task");
  rejected.task = m.task;
  if (plausible_task_id(m.id)) rejected.task_id = m.id;
  if (rejected.task_id.empty()) {
    rejected.reason = "the message has no usable task id (headers.id)";
    return rejected;
  }
  if (m.task.empty()) {
    rejected.reason = "the task header is not a name";
    return rejected;
  }
  if (const auto why = check_envelope(envelope)) {
    rejected.reason = *why;
    return rejected;
  }
  if (const json* retries = member(*headers, "retries"); retries != nullptr && !retries->is_null()) {
    if (!retries->is_number_integer() || retries->get<std::int64_t>() < 0 || retries->get<std::int64_t>() > 1000000) {
      rejected.reason = "headers.retries is not a count";
      return rejected;
    }
    m.retries = retries->get<std::int64_t>();
  }
  const json* info = member(*properties, "delivery_info");
  m.delivery_tag = rejected.delivery_tag;
  m.exchange = info != nullptr ? string_member(*info, "exchange") : std::string();
  m.routing_key = info != nullptr ? string_member(*info, "routing_key") : std::string();
  m.redelivered = true_member(*headers, "redelivered") || (info != nullptr && true_member(*info, "redelivered"));
  m.eta = optional_string(*headers, "eta");
  m.expires = optional_string(*headers, "expires");
  std::string why;
  const auto bytes = body_bytes(envelope, why);
  if (!bytes) {
    rejected.reason = why;
    return rejected;
  }
  if (const auto bad = read_body(*bytes, m)) {
    rejected.reason = *bad;
    return rejected;
  }
  m.envelope = std::move(envelope);
  return m;
}

std::string task_id_in_tail(std::string_view tail) {
  for (const std::string_view key : {"\"correlation_id\": \"", "\"correlation_id\":\""}) {
    const auto at = tail.rfind(key);
    if (at == std::string_view::npos) continue;
    const auto start = at + key.size();
    const auto end = tail.find('"', start);
    if (end == std::string_view::npos) return {};
    const std::string_view id = tail.substr(start, end - start);
    if (!plausible_task_id(id) || id.find('\\') != std::string_view::npos) return {};
    return std::string(id);
  }
  return {};
}

std::string new_uuid() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const std::uint64_t hi = (random() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const std::uint64_t lo = (random() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48,
                     lo & 0xffffffffffffULL);
}

// A kombu message: `body` JSON, base64-encoded, with its headers and properties.
static std::string envelope_text(const json& body, const json& headers, const json& properties) {
  const json envelope = {{"body", base64_encode(body.dump())},
                         {"content-encoding", "utf-8"},
                         {"content-type", "application/json"},
                         {"headers", headers},
                         {"properties", properties}};
  return envelope.dump();
}

std::string encode_task_message(const NewTask& task) {
  const json body = json::array({task.args, task.kwargs,
                                 {{"callbacks", nullptr}, {"errbacks", nullptr}, {"chain", nullptr}, {"chord", nullptr}}});
  const json headers = {{"lang", "py"},
                        {"task", task.task},
                        {"id", task.id},
                        {"shadow", nullptr},
                        {"eta", nullptr},
                        {"expires", nullptr},
                        {"group", nullptr},
                        {"group_index", nullptr},
                        {"retries", 0},
                        {"timelimit", {nullptr, nullptr}},
                        {"root_id", task.id},
                        {"parent_id", nullptr},
                        {"argsrepr", fmt::format("[{} argument(s)]", task.args.size())},
                        {"kwargsrepr", fmt::format("{{{} key(s)}}", task.kwargs.size())},
                        {"origin", task.origin},
                        {"ignore_result", false}};
  const json properties = {{"correlation_id", task.id},
                           {"reply_to", ""},
                           {"delivery_mode", 2},
                           {"delivery_info", {{"exchange", ""}, {"routing_key", task.queue}}},
                           {"priority", 0},
                           {"body_encoding", "base64"},
                           {"delivery_tag", new_uuid()}};
  return envelope_text(body, headers, properties);
}

std::string retry_message(const TaskMessage& message) {
  json envelope = message.envelope;
  envelope["headers"]["retries"] = message.retries + 1;
  envelope["headers"].erase("redelivered");
  json& properties = envelope["properties"];
  properties["delivery_tag"] = new_uuid();
  if (properties.contains("delivery_info") && properties["delivery_info"].is_object()) {
    properties["delivery_info"].erase("redelivered");
  }
  return envelope.dump();
}

std::string event_routing_key(std::string type) {
  for (char& c : type) c = c == '-' ? '.' : c;
  return type;
}

std::string encode_event_message(const nlohmann::json& event, const std::string& hostname) {
  const std::string routing_key = event_routing_key(event.value("type", std::string()));
  const json properties = {{"delivery_mode", 1},
                           {"delivery_info", {{"exchange", "celeryev"}, {"routing_key", routing_key}}},
                           {"priority", 0},
                           {"body_encoding", "base64"},
                           {"delivery_tag", new_uuid()}};
  return envelope_text(event, {{"hostname", hostname}}, properties);
}

}  // namespace tessera::detail

namespace tessera::detail {
namespace {

// The digits text[at, at + n) as a number, or -1.
int digits_at(std::string_view text, std::size_t at, std::size_t n) {
  if (at + n > text.size()) return -1;
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

}  // namespace

std::optional<double> parse_iso_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS
  const int year = digits_at(text, 0, 4), month = digits_at(text, 5, 2), day = digits_at(text, 8, 2);
  const int hour = digits_at(text, 11, 2), minute = digits_at(text, 14, 2), second = digits_at(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  std::size_t at = 19;
  double fraction = 0;
  if (at < text.size() && text[at] == '.') {
    double scale = 0.1;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, scale /= 10) fraction += (text[at] - '0') * scale;
  }
  int offset = 0;
  if (at < text.size() && text[at] == 'Z') {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    const int oh = digits_at(text, at + 1, 2), om = digits_at(text, at + 4, 2);
    if (oh < 0 || om < 0 || text.size() < at + 6 || text[at + 3] != ':') return std::nullopt;
    offset = (text[at] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    at += 6;
  }
  if (at != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<double>(timegm(&tm)) + fraction - offset;
}

}  // namespace tessera::detail
