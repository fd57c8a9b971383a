#include "core/mapped_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace rocmforge::core {
namespace {

TEST(MappedFile, MapsContents) {
  const auto path = std::filesystem::temp_directory_path() / "rocmforge_mapped_file_test.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out << "hello";
  }
  auto file = MappedFile::open(path.string());
  ASSERT_TRUE(file) << file.error().to_string();
  ASSERT_EQ(file->size(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(file->data()), 5), "hello");
  std::filesystem::remove(path);
}

TEST(MappedFile, MissingFileIsNotFound) {
  auto file = MappedFile::open("/nonexistent/rocmforge.gguf");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code(), ErrorCode::kNotFound);
}

TEST(MappedFile, DirectoryIsRejected) {
  auto file = MappedFile::open("/tmp");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace rocmforge::core
