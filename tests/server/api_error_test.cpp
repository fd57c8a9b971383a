// The one mapping from ErrorCode to HTTP status and OpenAI error body.
#include <gtest/gtest.h>

#include "server/api_error.h"
#include "server/json_text.h"

namespace rocmforge::server {
namespace {

struct Mapping {
  ErrorCode code;
  int status;
  const char* type;
};

TEST(ApiErrorTest, EveryCodeHasItsStatus) {
  const Mapping mappings[] = {
      {ErrorCode::kInvalidArgument, 400, "invalid_request_error"},
      {ErrorCode::kParse, 400, "invalid_request_error"},
      {ErrorCode::kUnsupported, 400, "invalid_request_error"},
      {ErrorCode::kNotFound, 404, "invalid_request_error"},
      {ErrorCode::kCapacity, 429, "rate_limit_error"},
      {ErrorCode::kCancelled, 499, "invalid_request_error"},
      {ErrorCode::kOutOfMemory, 500, "server_error"},
      {ErrorCode::kIo, 500, "server_error"},
      {ErrorCode::kDevice, 500, "server_error"},
      {ErrorCode::kInternal, 500, "server_error"},
  };
  for (const Mapping& m : mappings) {
    const ApiError e = api_error(Error(m.code, "what happened"));
    EXPECT_EQ(e.status, m.status) << error_code_name(m.code);
    EXPECT_EQ(e.type, m.type) << error_code_name(m.code);
    EXPECT_FALSE(e.message.empty());
  }
}

TEST(ApiErrorTest, ClientErrorsKeepTheirMessageAndParam) {
  const ApiError e = api_error(Error(ErrorCode::kInvalidArgument, "'top_p' must be between 0 and 1"), "top_p");
  EXPECT_EQ(e.message, "'top_p' must be between 0 and 1");
  EXPECT_EQ(e.param, std::optional<std::string>("top_p"));
  EXPECT_EQ(api_error(Error(ErrorCode::kUnsupported, "n > 1"), "n").code, std::optional<std::string>("unsupported"));
}

TEST(ApiErrorTest, ServerErrorsHideTheirDetails) {
  const ApiError e = api_error(Error(ErrorCode::kDevice, "hipMalloc failed at src/backend/gpu/x.cu:12"));
  EXPECT_EQ(e.message.find("hipMalloc"), std::string::npos);
  EXPECT_FALSE(e.param.has_value());
}

TEST(ApiErrorTest, AFullQueueSaysWhenToRetry) {
  const ApiError busy = api_error(Error(ErrorCode::kCapacity, "256 requests are already waiting"));
  EXPECT_EQ(busy.status, 429);
  EXPECT_EQ(busy.retry_after_s, std::optional<int>(1));
}

TEST(ApiErrorTest, WhileDrainingCapacityAndCancellationAre503) {
  const ApiError full = api_error(Error(ErrorCode::kCapacity, "shutting down"), std::nullopt, ServerPhase::kDraining);
  EXPECT_EQ(full.status, 503);
  EXPECT_EQ(full.retry_after_s, std::optional<int>(1));
  EXPECT_EQ(api_error(Error(ErrorCode::kCancelled, "x"), std::nullopt, ServerPhase::kDraining).status, 503);
  EXPECT_EQ(api_error(Error(ErrorCode::kInvalidArgument, "x"), std::nullopt, ServerPhase::kDraining).status, 400);
}

TEST(ApiErrorTest, HttpLayerErrors) {
  EXPECT_EQ(unauthorized_error().status, 401);
  EXPECT_EQ(unauthorized_error().code, std::optional<std::string>("invalid_api_key"));
  EXPECT_EQ(route_not_found_error("GET", "/nope").status, 404);
  EXPECT_EQ(method_not_allowed_error("GET", "/v1/completions").status, 405);
  EXPECT_EQ(body_too_large_error(1024).status, 413);
  EXPECT_NE(body_too_large_error(1024).message.find("1024"), std::string::npos);
  EXPECT_EQ(unsupported_media_type_error().status, 415);
  EXPECT_EQ(http_status_error(400).status, 400);
  EXPECT_EQ(http_status_error(414).status, 414);
  EXPECT_EQ(http_status_error(503).type, "server_error");
}

TEST(ApiErrorTest, BodyHasOpenAIsShape) {
  ApiError e = api_error(Error(ErrorCode::kInvalidArgument, "bad \"value\""), "temperature");
  const Json body = Json::parse(error_body(e));
  ASSERT_TRUE(body.contains("error"));
  const Json& inner = body["error"];
  EXPECT_EQ(inner.size(), 4u);
  EXPECT_EQ(inner["message"], "bad \"value\"");
  EXPECT_EQ(inner["type"], "invalid_request_error");
  EXPECT_EQ(inner["param"], "temperature");
  EXPECT_TRUE(inner["code"].is_null());
  const Json no_param = Json::parse(error_body(unauthorized_error()));
  EXPECT_TRUE(no_param["error"]["param"].is_null());
  EXPECT_EQ(no_param["error"]["code"], "invalid_api_key");
}

}  // namespace
}  // namespace rocmforge::server
