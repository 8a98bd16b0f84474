// keep_freed_memory: a large block freed and allocated again must come back without faulting its pages in again
// (the cost it exists to remove; docs/BENCHMARKS.md).
#include <sys/resource.h>

#include <cstdlib>

#include <string>

#include <ATen/Context.h>
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

constexpr size_t kBytes = size_t{256} << 20;  // a 3D activation's size; 8x glibc's largest mmap threshold

// Page faults of using a block of `bytes` again after one of that size was used and freed.
long faults_reusing_a_freed_block(size_t bytes) {
  char* first = static_cast<char*>(std::malloc(bytes));
  if (first == nullptr) return -1;
  touch_pages(first, bytes);
  std::free(first);
  const long before = minor_page_faults();
  char* second = static_cast<char*>(std::malloc(bytes));
  if (second == nullptr) return -1;
  touch_pages(second, bytes);
  std::free(second);
  return minor_page_faults() - before;
}

// AddressSanitizer brings its own allocator, which refuses glibc's mallopt (scripts/sanitize.sh).
#if defined(__SANITIZE_ADDRESS__)
#define SKIP_UNLESS_GLIBC_MALLOC() GTEST_SKIP() << "skipped: AddressSanitizer replaces glibc's allocator"
#else
#define SKIP_UNLESS_GLIBC_MALLOC() (void)0
#endif

TEST(KeepFreedMemory, BlocksLargerThanAnyMmapThresholdAreReusedWithoutPageFaults) {
  SKIP_UNLESS_GLIBC_MALLOC();
  ASSERT_TRUE(keep_freed_memory());
  const long faults = faults_reusing_a_freed_block(kBytes);
  ASSERT_GE(faults, 0);
  // An mmapped block faults in all 65536 pages again; a reused heap block none.
  EXPECT_LT(faults, static_cast<long>(kBytes / 4096 / 20)) << faults << " page faults";
}

// return_freed_memory undoes it: the block is mmapped again, so its pages fault in again on the next use.
TEST(KeepFreedMemory, ReturningFreedMemoryRestoresGlibcsBehaviour) {
  SKIP_UNLESS_GLIBC_MALLOC();
  ASSERT_TRUE(keep_freed_memory());
  ASSERT_TRUE(return_freed_memory());
  const long faults = faults_reusing_a_freed_block(kBytes);
  EXPECT_GT(faults, static_cast<long>(kBytes / 4096 / 2)) << faults << " page faults";
  ASSERT_TRUE(keep_freed_memory());  // as the CLI leaves it for the other tests
}

// train.deterministic switches LibTorch's global choices both ways, and sets cuBLAS's fixed workspace only when the
// user has not set one.
TEST(DeterministicAlgorithms, SwitchesLibTorchsKernelChoiceBothWays) {
  auto& ctx = at::globalContext();
  ctx.setBenchmarkCuDNN(true);
  unsetenv("CUBLAS_WORKSPACE_CONFIG");
  use_deterministic_algorithms(true);
  EXPECT_TRUE(ctx.deterministicAlgorithms());
  EXPECT_TRUE(ctx.deterministicCuDNN());
  EXPECT_FALSE(ctx.benchmarkCuDNN());
  ASSERT_NE(std::getenv("CUBLAS_WORKSPACE_CONFIG"), nullptr);
  EXPECT_EQ(std::string(std::getenv("CUBLAS_WORKSPACE_CONFIG")), ":4096:8");
  use_deterministic_algorithms(false);
  EXPECT_FALSE(ctx.deterministicAlgorithms());
  EXPECT_FALSE(ctx.deterministicCuDNN());
  setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8", 1);
  use_deterministic_algorithms(true);
  EXPECT_EQ(std::string(std::getenv("CUBLAS_WORKSPACE_CONFIG")), ":16:8");
  use_deterministic_algorithms(false);
  unsetenv("CUBLAS_WORKSPACE_CONFIG");
}

}  // namespace
}  // namespace diffseg
