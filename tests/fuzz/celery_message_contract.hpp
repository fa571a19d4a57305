#pragma once
// The contract of reading what a worker takes from a queue, as the fuzzer (fuzz_celery_message)
// and the test suite (test_worker_protocol, which replays the fuzzer's corpus) check it: any
// bytes are either a task message or a rejection with a one-line reason; a task message's retry
// reads back as the same task with one more retry; a task id found in a message's tail is a
// plausible one; base64 round-trips; no input throws.

#include <string>
#include <string_view>
#include <variant>

#include "worker/base64.hpp"
#include "worker/celery_message.hpp"

namespace tessera::fuzz {

/// What is wrong with reading `input`, or "" when it keeps the contract above.
inline std::string celery_message_contract_broken(std::string_view input) {
  using namespace tessera::detail;
  const ParsedMessage parsed = parse_task_message(input);
  if (const auto* r = std::get_if<RejectedMessage>(&parsed)) {
    if (r->reason.empty() || r->reason.find('\n') != std::string::npos) return "a reason that is not one line";
    if (!r->task_id.empty() && !plausible_task_id(r->task_id)) return "an implausible task id in a rejection";
  } else {
    const TaskMessage& m = std::get<TaskMessage>(parsed);
    const ParsedMessage again = parse_task_message(retry_message(m));
    const auto* t = std::get_if<TaskMessage>(&again);
    if (t == nullptr) return "a retry that does not read back: " + std::get<RejectedMessage>(again).reason;
    if (t->id != m.id || t->task != m.task || t->retries != m.retries + 1 || t->args != m.args ||
        t->kwargs != m.kwargs) {
      return "a retry that reads back as another task";
    }
  }
  const std::string id = task_id_in_tail(input);
  if (!id.empty() && !plausible_task_id(id)) return "an implausible task id in a tail";
  if (base64_decode(base64_encode(input)) != input) return "base64 that does not round-trip";
  const std::size_t padding = input.ends_with("==") ? 2 : input.ends_with("=") ? 1 : 0;
  if (const auto bytes = base64_decode(input); bytes && bytes->size() != input.size() / 4 * 3 - padding) {
    return "base64 that decodes to the wrong size";
  }
  parse_iso_time(input);
  return "";
}

}  // namespace tessera::fuzz
