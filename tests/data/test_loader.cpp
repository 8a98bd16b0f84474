#include "diffseg/data/loader.h"

#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/data/synthetic.h"
#include "test_util.h"

using namespace diffseg;

namespace {
std::shared_ptr<const data::CaseCache> synthetic_cache(const test::TempDir& dir, int cases = 6) {
  data::SyntheticOptions s;
  s.dims = 2;
  s.cases = cases;
  s.size = {40, 32, 1};
  s.validation_fraction = s.test_fraction = 0;
  const io::Dataset d = data::write_synthetic_dataset(dir.path(), s);
  return std::make_shared<const data::CaseCache>(d, "training", 2);
}
data::LoaderOptions options(uint64_t seed, int workers) {
  data::LoaderOptions o;
  o.batch_size = 4;
  o.patch = {24, 24};
  o.seed = seed;
  o.workers = workers;
  return o;
}
}  // namespace

TEST(Loader, SameSeedSameBatchesWhateverTheWorkersDifferentSeedDifferent) {
  test::TempDir dir;
  const auto cache = synthetic_cache(dir);
  data::BatchLoader a(cache, options(1, 1)), b(cache, options(1, 3)), c(cache, options(2, 2));
  for (int i = 0; i < 5; ++i) {
    const data::Batch x = a.next(), y = b.next(), z = c.next();
    EXPECT_EQ(x.index, i);
    EXPECT_EQ(x.image.sizes().vec(), (std::vector<int64_t>{4, 1, 24, 24}));
    EXPECT_TRUE(torch::equal(x.image, y.image)) << i;
    EXPECT_TRUE(torch::equal(x.label, y.label)) << i;
    EXPECT_FALSE(torch::equal(x.image, z.image)) << i;
    EXPECT_LE(x.label.max().item<int64_t>(), 3);
    EXPECT_NEAR(x.image.amin({1, 2, 3}).max().item<float>(), 0.0f, 1e-6);  // rescaled to [0, 1]
  }
}

TEST(Loader, ResumingAtABatchContinuesTheStream) {
  test::TempDir dir;
  const auto cache = synthetic_cache(dir);
  data::BatchLoader full(cache, options(5, 2));
  for (int i = 0; i < 3; ++i) full.next();
  const data::Batch fourth = full.next();
  data::BatchLoader resumed(cache, options(5, 2), 3);
  const data::Batch again = resumed.next();
  EXPECT_EQ(again.index, 3);
  EXPECT_TRUE(torch::equal(again.image, fourth.image));
}

TEST(Loader, EpochsVisitEveryCaseOnce) {
  test::TempDir dir;
  const auto cache = synthetic_cache(dir, 8);
  data::LoaderOptions o = options(3, 2);
  o.augment = false;
  data::BatchLoader loader(cache, o);
  std::multiset<std::string> seen;
  for (int i = 0; i < loader.batches_per_epoch(); ++i)
    for (const auto& id : loader.next().ids) seen.insert(id);
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 8u);
}

TEST(Loader, CorruptFileIsReportedByNameWithoutHanging) {
  test::TempDir dir;
  synthetic_cache(dir);
  const auto bad = dir / "imagesTr/case_002.png";
  std::filesystem::resize_file(bad, std::filesystem::file_size(bad) / 2);
  const io::Dataset d = io::read_dataset(dir.path());
  try {
    data::CaseCache cache(d, "training", 2);
    FAIL() << "corrupt file accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("case_002.png"), std::string::npos) << e.what();
  }
}

TEST(Loader, WorkerErrorsReachTheCaller) {
  // Two cases of different sizes and no patch: stacking fails inside a worker; next() rethrows it.
  std::vector<data::CachedCase> cases(2);
  for (int i = 0; i < 2; ++i) {
    cases[i].id = "c" + std::to_string(i);
    cases[i].image = torch::rand({1, 8 + i, 8});
    cases[i].label = torch::zeros({8 + i, 8}, torch::kByte);
    cases[i].spacing = {1, 1};
  }
  data::LoaderOptions o = options(0, 2);
  o.patch.clear();
  o.batch_size = 2;
  data::BatchLoader loader(std::make_shared<const data::CaseCache>(std::move(cases)), o);
  EXPECT_THROW(loader.next(), UsageError);
}

// A global batch split over ranks or accumulation micro-batches is the same samples (cases, crops, augmentation)
// as the whole batch in one process: micro-batch m of rank r holds samples [(m·world + r)·b, +b).
TEST(Loader, SlicesOfTheGlobalBatchAreTheWholeBatchsSamples) {
  test::TempDir dir;
  const auto cache = synthetic_cache(dir, 10);
  data::BatchLoader whole(cache, options(7, 1));  // 1 × 4
  auto sliced = [&](int rank, int world, int64_t accumulate) {
    data::LoaderOptions o = options(7, 1);
    o.batch_size = 4 / (world * accumulate);
    o.rank = rank;
    o.world_size = world;
    o.accumulate_steps = accumulate;
    return std::make_unique<data::BatchLoader>(cache, o);
  };
  auto r0 = sliced(0, 2, 1), r1 = sliced(1, 2, 1), acc = sliced(0, 1, 2), both = sliced(1, 2, 2);
  for (int step = 0; step < 4; ++step) {  // 10 cases / 4 = 2 steps per epoch: crosses an epoch boundary
    const data::Batch w = whole.next();
    const data::Batch a = r0->next(), b = r1->next();
    EXPECT_EQ(a.step, step);
    EXPECT_EQ(b.first_sample, 2);
    EXPECT_TRUE(torch::equal(torch::cat({a.image, b.image}), w.image)) << step;
    EXPECT_TRUE(torch::equal(torch::cat({a.label, b.label}), w.label)) << step;
    const data::Batch m0 = acc->next(), m1 = acc->next();
    EXPECT_EQ(m1.step, step);
    EXPECT_EQ(m1.first_sample, 2);
    EXPECT_TRUE(torch::equal(torch::cat({m0.image, m1.image}), w.image)) << step;
    // 2 ranks × 2 micro-batches × batch 1: rank 1 holds samples 1 and 3.
    const data::Batch q0 = both->next(), q1 = both->next();
    EXPECT_EQ(q0.ids[0], w.ids[1]);
    EXPECT_EQ(q1.ids[0], w.ids[3]);
    EXPECT_TRUE(torch::equal(q1.image[0], w.image[3])) << step;
  }
  data::LoaderOptions bad = options(7, 1);
  bad.rank = 2;
  bad.world_size = 2;
  EXPECT_THROW(data::BatchLoader(cache, bad), UsageError);
}
