#include "http_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <thread>

#include "server/sse.h"

namespace rocmforge::server::testing {
namespace {

httplib::Client client_for(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(120, 0);
  c.set_connection_timeout(5, 0);
  c.set_tcp_nodelay(true);
  return c;
}

HttpAnswer answer_of(const httplib::Result& r) {
  HttpAnswer a;
  if (!r) return a;
  a.status = r->status;
  a.body = r->body;
  a.headers = r->headers;
  return a;
}

}  // namespace

std::string HttpAnswer::header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

TestClient::TestClient(int port, std::string api_key) : port_(port), api_key_(std::move(api_key)) {}

httplib::Headers TestClient::with_key(httplib::Headers headers) const {
  if (!api_key_.empty() && headers.find("Authorization") == headers.end()) {
    headers.emplace("Authorization", "Bearer " + api_key_);
  }
  return headers;
}

HttpAnswer TestClient::get(const std::string& path, const httplib::Headers& headers) const {
  httplib::Client c = client_for(port_);
  return answer_of(c.Get(path, with_key(headers)));
}

HttpAnswer TestClient::post(const std::string& path, const std::string& body, const httplib::Headers& headers) const {
  httplib::Client c = client_for(port_);
  return answer_of(c.Post(path, with_key(headers), body, "application/json"));
}

StreamAnswer TestClient::stream(const std::string& path, const std::string& body,
                                const std::function<bool(const std::string&)>& keep_going) const {
  httplib::Client c = client_for(port_);
  StreamAnswer out;
  SseReader reader;
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.headers = with_key({});
  req.body = body;
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    reader.feed(std::string_view(data, n));
    while (std::optional<std::string> e = reader.next()) {
      out.events.push_back(*e);
      if (keep_going && !keep_going(*e)) return false;  // the client goes away
    }
    return true;
  };
  const httplib::Result r = c.send(req);
  out.status = r ? r->status : 0;
  if (!r) out.failure = httplib::to_string(r.error());
  return out;
}

std::optional<double> TestClient::metric(const std::string& series) const {
  const HttpAnswer a = get("/metrics");
  if (a.status != 200) return std::nullopt;
  std::istringstream in(a.body);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

std::optional<double> wait_for_metric(const TestClient& client, const std::string& series, double want,
                                      std::chrono::milliseconds bound) {
  const auto give_up = std::chrono::steady_clock::now() + bound;
  std::optional<double> v;
  while (std::chrono::steady_clock::now() < give_up) {
    v = client.metric(series);
    if (v && *v == want) return v;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return v;
}

int raw_request_status(int port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string answer;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())) {
    char buffer[4096];
    while (answer.find("\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      answer.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  // "HTTP/1.1 400 Bad Request"
  if (!answer.starts_with("HTTP/1.1 ") || answer.size() < 12) return 0;
  return std::stoi(answer.substr(9, 3));
}

StreamSummary summarize(const std::vector<std::string>& events) {
  StreamSummary s;
  for (const std::string& e : events) {
    if (e == "[DONE]") {
      s.done = true;
      continue;
    }
    const Json chunk = Json::parse(e, nullptr, false);
    if (chunk.is_discarded()) continue;
    ++s.n_chunks;
    if (chunk.contains("error")) s.error = chunk["error"];
    if (chunk.contains("usage") && !chunk["usage"].is_null()) s.usage = chunk["usage"];
    if (!chunk.contains("choices") || chunk["choices"].empty()) continue;
    const Json& choice = chunk["choices"][0];
    if (choice.contains("text")) s.text += choice["text"].get<std::string>();
    if (choice.contains("delta") && choice["delta"].contains("content") && choice["delta"]["content"].is_string()) {
      s.text += choice["delta"]["content"].get<std::string>();
    }
    if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
      s.finish_reason = choice["finish_reason"].get<std::string>();
    }
  }
  return s;
}

std::string answer_text(const Json& body) {
  const Json& choice = body["choices"][0];
  if (choice.contains("message")) return choice["message"]["content"].get<std::string>();
  return choice["text"].get<std::string>();
}

}  // namespace rocmforge::server::testing
