// keep_freed_memory: a large block freed and allocated again must come back without faulting its pages in again
// (the cost it exists to remove; docs/BENCHMARKS.md).
#include <sys/resource.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "diffseg/core/runtime.h"

namespace diffseg {
namespace {

long minor_page_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// One write per 4 KiB page, through volatile so the compiler cannot drop the block.
void touch_pages(char* p, size_t bytes) {
  for (size_t i = 0; i < bytes; i += 4096) static_cast<volatile char*>(p)[i] = 1;
}

TEST(KeepFreedMemory, BlocksLargerThanAnyMmapThresholdAreReusedWithoutPageFaults) {
  ASSERT_TRUE(keep_freed_memory());
  constexpr size_t kBytes = size_t{256} << 20;  // a 3D activation's size; 8x glibc's largest mmap threshold
  char* first = static_cast<char*>(std::malloc(kBytes));
  ASSERT_NE(first, nullptr);
  touch_pages(first, kBytes);
  std::free(first);

  const long before = minor_page_faults();
  char* second = static_cast<char*>(std::malloc(kBytes));
  ASSERT_NE(second, nullptr);
  touch_pages(second, kBytes);
  std::free(second);
  const long faults = minor_page_faults() - before;
  // An mmapped block faults in all 65536 pages again; a reused heap block none.
  EXPECT_LT(faults, static_cast<long>(kBytes / 4096 / 20)) << faults << " page faults";
}

// return_freed_memory undoes it: the block is mmapped again, so its pages fault in again on the next use.
TEST(KeepFreedMemory, ReturningFreedMemoryRestoresGlibcsBehaviour) {
  ASSERT_TRUE(keep_freed_memory());
  ASSERT_TRUE(return_freed_memory());
  constexpr size_t kBytes = size_t{256} << 20;
  char* first = static_cast<char*>(std::malloc(kBytes));
  ASSERT_NE(first, nullptr);
  touch_pages(first, kBytes);
  std::free(first);
  const long before = minor_page_faults();
  char* second = static_cast<char*>(std::malloc(kBytes));
  ASSERT_NE(second, nullptr);
  touch_pages(second, kBytes);
  std::free(second);
  const long faults = minor_page_faults() - before;
  EXPECT_GT(faults, static_cast<long>(kBytes / 4096 / 2)) << faults << " page faults";
  ASSERT_TRUE(keep_freed_memory());  // as the CLI leaves it for the other tests
}

}  // namespace
}  // namespace diffseg
