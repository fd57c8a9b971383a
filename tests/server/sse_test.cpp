// Server-sent events: the framing the server writes and the reader clients use.
#include <gtest/gtest.h>

#include "server/sse.h"

namespace rocmforge::server {
namespace {

std::vector<std::string> read_all(SseReader& reader) {
  std::vector<std::string> out;
  while (std::optional<std::string> e = reader.next()) out.push_back(*e);
  return out;
}

TEST(SseTest, EventFraming) {
  EXPECT_EQ(sse_event(R"({"a":1})"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(sse_event(kSseDone), "data: [DONE]\n\n");
}

TEST(SseTest, ReaderGetsWhatTheWriterWrote) {
  const std::string stream = sse_event(R"({"text":"a"})") + sse_event(R"({"text":"b c"})") + sse_event(kSseDone);
  SseReader whole;
  whole.feed(stream);
  EXPECT_EQ(read_all(whole), (std::vector<std::string>{R"({"text":"a"})", R"({"text":"b c"})", "[DONE]"}));
  // Byte by byte: events come out only once their blank line has arrived.
  SseReader bytes;
  std::vector<std::string> events;
  for (const char c : stream) {
    bytes.feed(std::string_view(&c, 1));
    for (std::string& e : read_all(bytes)) events.push_back(std::move(e));
  }
  EXPECT_EQ(events, (std::vector<std::string>{R"({"text":"a"})", R"({"text":"b c"})", "[DONE]"}));
}

TEST(SseTest, ReaderFollowsTheGrammar) {
  SseReader r;
  r.feed(": a comment\r\n");
  r.feed("event: message\r\nid: 7\r\ndata:no-space\r\n\r\n");
  r.feed("data: line one\ndata: line two\n\n");
  r.feed("retry: 10\n\n");  // an event without data is no event
  r.feed("data: unfinished");
  EXPECT_EQ(read_all(r), (std::vector<std::string>{"no-space", "line one\nline two"}));
  r.feed("\n\n");
  EXPECT_EQ(read_all(r), std::vector<std::string>{"unfinished"});
}

}  // namespace
}  // namespace rocmforge::server
