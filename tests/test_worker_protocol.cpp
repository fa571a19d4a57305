// The worker's protocol pieces without a broker: broker URLs, base64, Celery task messages read
// and written (protocol 2 in kombu's envelope), times, result documents.

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "fuzz/celery_message_contract.hpp"
#include "support/fuzz_corpus.hpp"
#include "worker/base64.hpp"
#include "worker/broker_url.hpp"
#include "worker/celery_message.hpp"
#include "worker/result_backend.hpp"

namespace {

using nlohmann::json;
using namespace tessera::detail;

// A message as Celery 5.2 sends `app.send_task("tessera.run", args=["job"], kwargs={"set": {"n": 4}})`.
std::string celery_message(const std::string& body_json, const std::string& content_type = "application/json") {
  return json{{"body", base64_encode(body_json)},
              {"content-encoding", "utf-8"},
              {"content-type", content_type},
              {"headers",
               {{"lang", "py"}, {"task", "tessera.run"}, {"id", "0b6c"}, {"retries", 0}, {"eta", nullptr},
                {"expires", nullptr}, {"timelimit", {nullptr, nullptr}}, {"root_id", "0b6c"}}},
              {"properties",
               {{"correlation_id", "0b6c"}, {"reply_to", "r"}, {"delivery_mode", 2},
                {"delivery_info", {{"exchange", ""}, {"routing_key", "celery"}}}, {"priority", 0},
                {"body_encoding", "base64"}, {"delivery_tag", "tag-1"}}}}
      .dump();
}

std::string rejection(const std::string& raw) {
  const ParsedMessage m = parse_task_message(raw);
  const auto* r = std::get_if<RejectedMessage>(&m);
  return r == nullptr ? "(accepted)" : r->reason;
}

}  // namespace

TEST_CASE("broker URLs: Celery's redis:// form, with defaults, and one-line errors") {
  const BrokerUrl a = parse_broker_url("redis://:secret@example:6380/2");
  CHECK(a.host == "example");
  CHECK(a.port == 6380);
  CHECK(a.db == 2);
  CHECK(a.password == "secret");
  CHECK(a.display() == "redis://:***@example:6380/2");
  const BrokerUrl b = parse_broker_url("redis://localhost");
  CHECK(b.port == 6379);
  CHECK(b.db == 0);
  for (const char* bad : {"amqp://x", "redis://", "redis://h:0", "redis://h:99999", "redis://h/x", "redis://h?ssl=1"}) {
    CHECK_THROWS_AS(parse_broker_url(bad), tessera::Error);
  }
}

TEST_CASE("base64 round trips and refuses what is not base64") {
  for (const std::string& s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"),
                              std::string("abcd"), std::string("\0\xff\x10", 3)}) {
    CHECK(base64_decode(base64_encode(s)) == s);
  }
  CHECK(base64_encode("Man") == "TWFu");
  CHECK(base64_encode("Ma") == "TWE=");
  CHECK(base64_encode("M") == "TQ==");
  CHECK(base64_encode("") == "");
  CHECK(base64_encode(std::string("\xfb\xff\xbf", 3)) == "+/+/");
  for (const char* bad : {"abc", "ab!=", "a===", "=abc", "TW=u", "TWFu\n"}) CHECK_MESSAGE(!base64_decode(bad), bad);
}

TEST_CASE("a Celery task message is read: task, id, args, kwargs, delivery") {
  const ParsedMessage parsed = parse_task_message(celery_message(R"([["job"], {"set": {"n": 4}}, {"callbacks": null}])"));
  const auto* m = std::get_if<TaskMessage>(&parsed);
  REQUIRE(m != nullptr);
  CHECK(m->task == "tessera.run");
  CHECK(m->id == "0b6c");
  CHECK(m->args == json::array({"job"}));
  CHECK(m->kwargs["set"]["n"] == 4);
  CHECK(m->delivery_tag == "tag-1");
  CHECK(m->routing_key == "celery");
  CHECK_FALSE(m->redelivered);
  const ParsedMessage again = parse_task_message(retry_message(*m));
  const auto* r = std::get_if<TaskMessage>(&again);
  REQUIRE(r != nullptr);
  CHECK(r->retries == 1);
  CHECK(r->id == "0b6c");
  CHECK(r->delivery_tag != "tag-1");
  CHECK(r->args == m->args);
}

TEST_CASE("what is not a task message is rejected with a reason, and the task id when there is one") {
  CHECK(rejection("") == "the message is not a JSON object");
  CHECK(rejection("[1]") == "the message is not a JSON object");
  CHECK(rejection("{}") == "the message has no properties");
  CHECK(rejection(celery_message("not json")) == "the body is not JSON");
  CHECK(rejection(celery_message("[1, 2, 3]")) == "the task's args are not a list");
  CHECK(rejection(celery_message("[[], [], {}]")) == "the task's kwargs are not a mapping");
  CHECK(rejection(celery_message("[[], {}, {}]", "application/x-python-serialize")).starts_with("content type"));
  json v1 = json::parse(celery_message("[[], {}, {}]"));
  v1["headers"].erase("task");
  CHECK(rejection(v1.dump()).find("protocol 2") != std::string::npos);
  const ParsedMessage m = parse_task_message(v1.dump());
  CHECK(std::get<RejectedMessage>(m).task_id == "0b6c");  // from the correlation id
}

TEST_CASE("a message too large to read gives its task id from its tail") {
  const std::string raw = celery_message("[[], {}, {}]");
  CHECK(task_id_in_tail(raw.substr(raw.size() / 2)) == "0b6c");
  CHECK(task_id_in_tail("nothing here") == "");
  CHECK(task_id_in_tail(R"("correlation_id": "a\"b")") == "");
}

TEST_CASE("task messages written here are read back, with Celery's headers") {
  NewTask t{new_uuid(), "tessera.run", json::array({"job"}), {{"set", {{"n", 1}}}}, "q", "me@host"};
  const json envelope = json::parse(encode_task_message(t));
  CHECK(envelope["headers"]["root_id"] == t.id);
  CHECK(envelope["properties"]["correlation_id"] == t.id);
  CHECK(envelope["properties"]["delivery_info"]["routing_key"] == "q");
  const ParsedMessage parsed = parse_task_message(envelope.dump());
  const auto* m = std::get_if<TaskMessage>(&parsed);
  REQUIRE(m != nullptr);
  CHECK(m->kwargs == t.kwargs);
  CHECK(new_uuid().size() == 36);
  CHECK(new_uuid() != new_uuid());
}

TEST_CASE("ISO 8601 times as Celery writes eta and expires") {
  CHECK(parse_iso_time("1970-01-01T00:00:10") == 10.0);
  CHECK(parse_iso_time("1970-01-01T01:00:10+01:00") == 10.0);
  CHECK(parse_iso_time("1970-01-01T00:00:10.5Z") == 10.5);
  CHECK(parse_iso_time("2024-05-01T12:00:00.123456+00:00").has_value());
  for (const char* bad : {"", "soon", "2024-13-01T00:00:00", "2024-05-01T12:00:00+0100", "2024-05-01T12:00:00x"}) {
    CHECK_MESSAGE(!parse_iso_time(bad), bad);
  }
}

TEST_CASE("result documents are Celery's") {
  const json ok = success_state("t", {{"outputs", json::object()}});
  CHECK(ok["status"] == "SUCCESS");
  CHECK(ok["task_id"] == "t");
  CHECK(ok["children"] == json::array());
  CHECK(ok["date_done"].get<std::string>().size() == 26);
  const json bad = failure_state("t", {"JobError", "tessera", "job.toml:1:1: oops", ""});
  CHECK(bad["result"] == json{{"exc_type", "JobError"}, {"exc_message", {"job.toml:1:1: oops"}}, {"exc_module", "tessera"}});
  CHECK(expired_state("t")["status"] == "REVOKED");
  CHECK(task_state_key("t") == "celery-task-meta-t");
  CHECK(json_text("\xff") == "\"\xef\xbf\xbd\"");
  // Plain strings are copied, the rest escaped: the text is nlohmann's dump either way.
  const json doc = {{"outputs", {{"y.npy", "k05VTVBZAQB2AHsn+/=="}, {"out/\"q\".bin", ""}}},
                    {"report", {{"wall_s", 9.2514e-05}, {"items", 4096}, {"delta", -3}, {"ok", true}, {"none", nullptr},
                                {"warnings", {"tab\there", "quote \" and \\", "\xc3\xa9t\xc3\xa9", "\x01"}},
                                {"empty", json::object()}, {"list", json::array()}}},
                    {"bad \xff key", {1.5, "\x7f", json::array({json::object()})}}};
  CHECK(json_text(doc) == doc.dump(-1, ' ', false, json::error_handler_t::replace));
  CHECK(json::parse(json_text(doc))["outputs"]["y.npy"] == "k05VTVBZAQB2AHsn+/==");
}

TEST_CASE("the message fuzzer's corpus keeps the reading contract") {
  const auto corpus = tessera::test::fuzz_corpus("celery_message");
  CHECK(corpus.size() >= 9);
  for (const auto& entry : corpus) {
    CHECK_MESSAGE(tessera::fuzz::celery_message_contract_broken(entry.second) == "", entry.first);
  }
}
