#include "rocmforge/error.h"

#include <gtest/gtest.h>

#include <memory>

namespace rocmforge {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return RF_ERROR(kInvalidArgument, "value {} is not positive", v);
  return v;
}

Result<int> doubled(int v) {
  const int x = RF_TRY(parse_positive(v));
  return 2 * x;
}

Status check(int v) {
  RF_TRY(parse_positive(v));
  return ok();
}

TEST(Error, TryPassesValuesAndErrors) {
  ASSERT_TRUE(doubled(4));
  EXPECT_EQ(*doubled(4), 8);
  const auto bad = doubled(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message(), "value -1 is not positive");
  EXPECT_TRUE(check(3));
  EXPECT_FALSE(check(0));
}

TEST(Error, ToStringNamesCodeAndSourceLocation) {
  const Error e = Error(ErrorCode::kParse, "bad magic");
  const std::string s = e.to_string();
  EXPECT_NE(s.find("parse: bad magic"), std::string::npos);
  EXPECT_NE(s.find("error_test.cpp"), std::string::npos);
}

TEST(Error, WithContextPrefixesMessage) {
  Error e = Error(ErrorCode::kIo, "disk full");
  const Error wrapped = std::move(e).with_context("writing out.gguf");
  EXPECT_EQ(wrapped.message(), "writing out.gguf: disk full");
  EXPECT_EQ(wrapped.code(), ErrorCode::kIo);
}

TEST(Error, ResultHoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r);
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

}  // namespace
}  // namespace rocmforge
