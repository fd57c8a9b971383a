// One HTTP exchange on a socket of the test's own, below any client
// library: the answer is read when the test chooses and as slowly as it
// likes, or never (the connection closed, or reset, as a client that goes
// away while the server is still generating).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "http_test_client.h"

namespace rocmforge::server::testing {

// "POST <path> <version>" with a JSON body and its Content-Length.
std::string json_post(const std::string& path, const std::string& body, std::string_view version = "HTTP/1.1");

// A client that reads slowly: sends `request` on a connection of its own,
// reads nothing for `idle` (while the server generates and watches it), then
// reads the answer 1 KiB at a time with pauses.
HttpAnswer read_slowly(int port, const std::string& request, std::chrono::milliseconds idle);

class RawConnection {
 public:
  // Connects to 127.0.0.1:`port` and sends `request` whole; sent() tells
  // whether it could.
  RawConnection(int port, const std::string& request);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool sent() const { return sent_; }

  // Reads the answer to the end of its body (chunked or Content-Length),
  // `piece` bytes a read with `pause` before each; status 0 when the
  // connection ended or stalled (30 s) first.
  HttpAnswer read_answer(size_t piece, std::chrono::milliseconds pause);

  // Closes the connection: with a FIN, or with a reset (as a killed client).
  void close(bool reset = false);

 private:
  bool read_more(size_t piece, std::chrono::milliseconds pause);

  int fd_ = -1;
  bool sent_ = false;
  std::string received_;
};

}  // namespace rocmforge::server::testing
