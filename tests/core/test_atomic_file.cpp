#include "diffseg/core/atomic_file.h"

#include <fstream>

#include "diffseg/core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;
using diffseg::test::TempDir;

TEST(AtomicFile, WritesThroughTemporaryWithSameExtensionAndRenames) {
  TempDir dir;
  const fs::path target = dir / "sub/out.nii.gz";
  fs::path seen_tmp;
  diffseg::write_atomically(target, [&](const fs::path& tmp) {
    seen_tmp = tmp;
    EXPECT_EQ(tmp.parent_path(), target.parent_path());
    EXPECT_TRUE(tmp.string().ends_with(".nii.gz"));
    std::ofstream(tmp) << "new";
  });
  EXPECT_FALSE(fs::exists(seen_tmp));
  EXPECT_EQ(diffseg::test::read_text(target), "new");
}

TEST(AtomicFile, FailedWriteKeepsOldFileAndRemovesTemporary) {
  TempDir dir;
  const fs::path target = dir / "result.json";
  std::ofstream(target) << "old";
  fs::path seen_tmp;
  EXPECT_THROW(diffseg::write_atomically(target,
                                         [&](const fs::path& tmp) {
                                           seen_tmp = tmp;
                                           std::ofstream(tmp) << "partial";
                                           throw std::runtime_error("killed halfway");
                                         }),
               std::runtime_error);
  EXPECT_EQ(diffseg::test::read_text(target), "old");
  EXPECT_FALSE(fs::exists(seen_tmp));
}

TEST(AtomicFile, UnwritableFolderIsAnOutputError) {
  TempDir dir;
  std::ofstream(dir / "file") << "x";
  // A folder cannot be created below a regular file.
  EXPECT_THROW(diffseg::write_atomically(dir / "file/sub/out.txt", [](const fs::path&) {}), diffseg::OutputError);
}
