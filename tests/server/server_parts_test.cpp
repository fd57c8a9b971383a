// Small parts of the server: request ids, the in-flight count, route labels.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "server/in_flight.h"
#include "server/request_id.h"
#include "server/routes.h"

namespace rocmforge::server {
namespace {

TEST(RequestIdTest, IdsAreUniqueAcrossThreads) {
  RequestIds ids;
  std::vector<std::vector<std::string>> made(4);
  std::vector<std::thread> threads;
  for (auto& out : made) {
    threads.emplace_back([&ids, &out] {
      for (int i = 0; i < 2000; ++i) out.push_back(ids.next());
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& out : made) all.insert(out.begin(), out.end());
  EXPECT_EQ(all.size(), 8000u);
  EXPECT_EQ(all.begin()->size(), 16u);
}

TEST(RequestIdTest, ClientIdsMustBeSafe) {
  EXPECT_TRUE(acceptable_client_request_id("req-42_a.b:c"));
  EXPECT_FALSE(acceptable_client_request_id(""));
  EXPECT_FALSE(acceptable_client_request_id(std::string(65, 'a')));
  EXPECT_FALSE(acceptable_client_request_id("a b"));
  EXPECT_FALSE(acceptable_client_request_id("a\nb"));
  EXPECT_FALSE(acceptable_client_request_id("a\"b"));
}

TEST(InFlightTest, WaitsUntilTheLastTicketIsGone) {
  InFlight in_flight;
  EXPECT_TRUE(in_flight.wait_idle(std::chrono::steady_clock::now()));
  InFlight::Ticket a = in_flight.enter();
  InFlight::Ticket b = in_flight.enter();
  InFlight::Ticket a_copy = a;
  EXPECT_EQ(in_flight.count(), 2);
  EXPECT_FALSE(in_flight.wait_idle(std::chrono::steady_clock::now() + std::chrono::milliseconds(10)));
  a.reset();
  a_copy.reset();
  EXPECT_EQ(in_flight.count(), 1);
  std::thread later([&b] { b.reset(); });
  EXPECT_TRUE(in_flight.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(10)));
  later.join();
}

TEST(RoutesTest, EndpointLabelsAreAFixedSet) {
  EXPECT_EQ(endpoint_label("/v1/completions"), "/v1/completions");
  EXPECT_EQ(endpoint_label("/v1/chat/completions"), "/v1/chat/completions");
  EXPECT_EQ(endpoint_label("/v1/models/stories"), "/v1/models/{id}");
  EXPECT_EQ(endpoint_label("/v1/models/"), "other");
  EXPECT_EQ(endpoint_label("/etc/passwd"), "other");
  EXPECT_EQ(endpoint_label(""), "other");
}

}  // namespace
}  // namespace rocmforge::server
