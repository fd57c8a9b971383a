// API keys: the constant-time comparison, the Authorization header, key files.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "server/auth.h"

namespace rocmforge::server {
namespace {

TEST(AuthTest, ConstantTimeEqualIsEquality) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("sk-abc", "sk-abc"));
  EXPECT_FALSE(constant_time_equal("sk-abc", "sk-abd"));
  EXPECT_FALSE(constant_time_equal("xk-abc", "sk-abc"));
  EXPECT_FALSE(constant_time_equal("sk-ab", "sk-abc"));
  EXPECT_FALSE(constant_time_equal("sk-abcd", "sk-abc"));
  EXPECT_FALSE(constant_time_equal("", "sk-abc"));
  EXPECT_FALSE(constant_time_equal("sk-abc", ""));
  // A prefix padded with NUL bytes is still not the key.
  EXPECT_FALSE(constant_time_equal(std::string("sk-ab\0", 6), "sk-abc"));
}

TEST(AuthTest, NoKeyAdmitsEveryone) {
  const ApiKey none;
  EXPECT_FALSE(none.required());
  EXPECT_TRUE(none.admits(""));
  EXPECT_TRUE(none.admits("Bearer anything"));
}

TEST(AuthTest, AKeyAdmitsOnlyTheBearerOfIt) {
  auto key = ApiKey::from_value("sk-secret");
  ASSERT_TRUE(key);
  EXPECT_TRUE(key->required());
  EXPECT_TRUE(key->admits("Bearer sk-secret"));
  EXPECT_TRUE(key->admits("bearer sk-secret"));  // the scheme is case-insensitive
  EXPECT_FALSE(key->admits(""));
  EXPECT_FALSE(key->admits("sk-secret"));
  EXPECT_FALSE(key->admits("Bearer sk-secre"));
  EXPECT_FALSE(key->admits("Bearer sk-secret2"));
  EXPECT_FALSE(key->admits("Bearer  sk-secret"));
  EXPECT_FALSE(key->admits("Basic sk-secret"));
  EXPECT_FALSE(key->admits("Bearer"));
}

TEST(AuthTest, KeysMustBePrintableWithoutSpaces) {
  EXPECT_FALSE(ApiKey::from_value(""));
  EXPECT_FALSE(ApiKey::from_value("two words"));
  EXPECT_FALSE(ApiKey::from_value("tab\tkey"));
  EXPECT_TRUE(ApiKey::from_value("sk-0123_ABC.xyz"));
}

TEST(AuthTest, KeyFileLosesItsTrailingNewline) {
  const std::string path = ::testing::TempDir() + "/rocmforge_api_key";
  {
    std::ofstream out(path);
    out << "sk-from-file\n";
  }
  auto key = ApiKey::from_file(path);
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_TRUE(key->admits("Bearer sk-from-file"));
  std::remove(path.c_str());
  auto missing = ApiKey::from_file(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  {
    std::ofstream out(path);
    out << "\n";
  }
  EXPECT_FALSE(ApiKey::from_file(path));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace rocmforge::server
