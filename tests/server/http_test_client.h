// The HTTP side of the end-to-end tests: plain requests, streams read event
// by event (and left early, as a client that goes away), and readers of
// what came back.
#pragma once

#include <httplib.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/json_text.h"

namespace rocmforge::server::testing {

struct HttpAnswer {
  int status = 0;  // 0: no answer (connection refused or reset)
  std::string body;
  httplib::Headers headers;

  Json json() const { return Json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const;
};

struct StreamAnswer {
  int status = 0;
  std::string failure;  // why no answer came, when status is 0
  std::vector<std::string> events;  // the data of each server-sent event
};

class TestClient {
 public:
  explicit TestClient(int port, std::string api_key = "");

  HttpAnswer get(const std::string& path, const httplib::Headers& headers = {}) const;
  HttpAnswer post(const std::string& path, const std::string& body, const httplib::Headers& headers = {}) const;
  // Reads a stream; when `keep_going` returns false after an event, the
  // client closes the connection at once.
  StreamAnswer stream(const std::string& path, const std::string& body,
                      const std::function<bool(const std::string&)>& keep_going = {}) const;

  // /metrics, one series' value ("name" or "name{labels}").
  std::optional<double> metric(const std::string& series) const;

 private:
  httplib::Headers with_key(httplib::Headers headers) const;

  int port_;
  std::string api_key_;
};

// Polls /metrics until `series` equals `want` or `bound` has passed; the value last seen.
std::optional<double> wait_for_metric(const TestClient& client, const std::string& series, double want,
                                      std::chrono::milliseconds bound);

// Sends `bytes` as they are on a new connection and returns the status of
// the first answer (0 when none came): for requests no client library sends.
int raw_request_status(int port, const std::string& bytes);

// What a completed stream said: its text (choices[0].text or delta.content
// joined), finish_reason, usage, and whether it ended with [DONE].
struct StreamSummary {
  std::string text;
  std::optional<std::string> finish_reason;
  std::optional<Json> usage;
  std::optional<Json> error;
  bool done = false;
  int n_chunks = 0;
};
StreamSummary summarize(const std::vector<std::string>& events);

// The text of a non-streaming answer of either endpoint.
std::string answer_text(const Json& body);

}  // namespace rocmforge::server::testing
