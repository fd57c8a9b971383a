#include "raw_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <sstream>
#include <thread>

namespace rocmforge::server::testing {

std::string json_post(const std::string& path, const std::string& body, std::string_view version) {
  return "POST " + path + " " + std::string(version) + "\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

HttpAnswer read_slowly(int port, const std::string& request, std::chrono::milliseconds idle) {
  RawConnection slow(port, request);
  if (!slow.sent()) return {};
  std::this_thread::sleep_for(idle);
  return slow.read_answer(1024, std::chrono::milliseconds(2));
}

RawConnection::RawConnection(int port, const std::string& request) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  const timeval stall{30, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &stall, sizeof(stall));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sent_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0 &&
          ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
}

RawConnection::~RawConnection() { close(); }

void RawConnection::close(bool reset) {
  if (fd_ < 0) return;
  if (reset) {
    // A zero linger time makes close() send a reset instead of a FIN.
    const linger abort{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  }
  ::close(fd_);
  fd_ = -1;
}

bool RawConnection::read_more(size_t piece, std::chrono::milliseconds pause) {
  std::this_thread::sleep_for(pause);
  std::string buffer(piece, '\0');
  const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
  if (n <= 0) return false;
  received_.append(buffer.data(), static_cast<size_t>(n));
  return true;
}

HttpAnswer RawConnection::read_answer(size_t piece, std::chrono::milliseconds pause) {
  // The bytes from `from` on, up to (not including) `until`, once received.
  const auto take_until = [&](size_t from, std::string_view until) -> std::optional<std::string> {
    while (received_.find(until, from) == std::string::npos) {
      if (!read_more(piece, pause)) return std::nullopt;
    }
    return received_.substr(from, received_.find(until, from) - from);
  };
  const auto take = [&](size_t from, size_t n) -> std::optional<std::string> {
    while (received_.size() < from + n) {
      if (!read_more(piece, pause)) return std::nullopt;
    }
    return received_.substr(from, n);
  };

  HttpAnswer a;
  const std::optional<std::string> head = take_until(0, "\r\n\r\n");
  if (!head || !head->starts_with("HTTP/1.1 ") || head->size() < 12) return a;
  std::istringstream lines(*head);
  std::string line;
  std::getline(lines, line);  // the status line, "HTTP/1.1 200 OK"
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(": ");
    if (colon != std::string::npos) a.headers.emplace(line.substr(0, colon), line.substr(colon + 2));
  }
  size_t pos = head->size() + 4;
  std::string body;
  if (a.header("Transfer-Encoding") == "chunked") {
    for (;;) {
      const std::optional<std::string> size_line = take_until(pos, "\r\n");
      if (!size_line) return a;
      const size_t n = std::stoul(*size_line, nullptr, 16);
      pos += size_line->size() + 2;
      const std::optional<std::string> chunk = take(pos, n + 2);  // the data and its CRLF
      if (!chunk) return a;
      pos += n + 2;
      if (n == 0) break;
      body += chunk->substr(0, n);
    }
  } else {
    const std::string length = a.header("Content-Length");
    const std::optional<std::string> all = take(pos, length.empty() ? 0 : std::stoul(length));
    if (!all) return a;
    body = *all;
  }
  a.status = std::stoi(head->substr(9, 3));
  a.body = std::move(body);
  return a;
}

}  // namespace rocmforge::server::testing
