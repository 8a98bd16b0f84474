#include "diffseg/metrics/segmentation_metrics.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

using namespace diffseg::metrics;

namespace {

Grid grid2(int64_t nx, int64_t ny, double sx = 1, double sy = 1) { return Grid{2, {nx, ny, 1}, {sx, sy, 1}}; }

std::vector<uint8_t> random_mask(const Grid& g, std::mt19937& rng, double p) {
  std::bernoulli_distribution b(p);
  std::vector<uint8_t> m(static_cast<size_t>(g.voxels()));
  for (auto& v : m) v = b(rng);
  return m;
}

// Independent brute force: surface by checking the face neighbours, distances by all pairs.
std::vector<std::array<double, 3>> surface_points(const std::vector<uint8_t>& m, const Grid& g) {
  std::vector<std::array<double, 3>> pts;
  const int64_t nx = g.size[0], ny = g.size[1], nz = g.size[2];
  auto at = [&](int64_t x, int64_t y, int64_t z) {
    return x >= 0 && y >= 0 && z >= 0 && x < nx && y < ny && z < nz && m[x + nx * (y + ny * z)];
  };
  for (int64_t z = 0; z < nz; ++z)
    for (int64_t y = 0; y < ny; ++y)
      for (int64_t x = 0; x < nx; ++x) {
        if (!at(x, y, z)) continue;
        bool inner = at(x - 1, y, z) && at(x + 1, y, z) && at(x, y - 1, z) && at(x, y + 1, z);
        if (g.dims == 3) inner = inner && at(x, y, z - 1) && at(x, y, z + 1);
        if (!inner) pts.push_back({x * g.spacing[0], y * g.spacing[1], z * g.spacing[2]});
      }
  return pts;
}

std::vector<double> brute_directed(const std::vector<std::array<double, 3>>& a, const std::vector<std::array<double, 3>>& b) {
  std::vector<double> d;
  for (const auto& p : a) {
    double best = INFINITY;
    for (const auto& q : b)
      best = std::min(best, std::sqrt(std::pow(p[0] - q[0], 2) + std::pow(p[1] - q[1], 2) + std::pow(p[2] - q[2], 2)));
    d.push_back(best);
  }
  return d;
}

}  // namespace

TEST(DistanceTransform, EqualsBruteForceWithAnisotropicSpacing) {
  std::mt19937 rng(1);
  for (const Grid& g : {Grid{2, {17, 13, 1}, {0.7, 1.9, 1}}, Grid{3, {9, 11, 7}, {1.2, 0.5, 3.0}}}) {
    const auto f = random_mask(g, rng, 0.05);
    const auto d = distance_to_features(f, g, 2);
    std::vector<std::array<double, 3>> feats;
    for (int64_t i = 0; i < g.voxels(); ++i)
      if (f[i]) feats.push_back({(i % g.size[0]) * g.spacing[0], ((i / g.size[0]) % g.size[1]) * g.spacing[1],
                                 (i / (g.size[0] * g.size[1])) * g.spacing[2]});
    for (int64_t i = 0; i < g.voxels(); ++i) {
      const std::array<double, 3> p{(i % g.size[0]) * g.spacing[0], ((i / g.size[0]) % g.size[1]) * g.spacing[1],
                                    (i / (g.size[0] * g.size[1])) * g.spacing[2]};
      ASSERT_NEAR(d[i], brute_directed({p}, feats)[0], 1e-9) << i;
    }
  }
  EXPECT_TRUE(std::isinf(distance_to_features(std::vector<uint8_t>(20, 0), grid2(5, 4))[7]));
}

TEST(Metrics, SurfaceDistancesEqualBruteForceOnRandomMasks) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 6; ++trial) {
    const Grid g = trial % 2 ? Grid{3, {8, 9, 6}, {0.9, 1.4, 2.2}} : grid2(15, 12, 1.3, 0.6);
    const auto p = random_mask(g, rng, 0.4), t = random_mask(g, rng, 0.4);
    const ClassMetrics m = compare_masks(p, t, g, {});
    const auto d_pt = brute_directed(surface_points(p, g), surface_points(t, g));
    const auto d_tp = brute_directed(surface_points(t, g), surface_points(p, g));
    auto max = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
    auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
    EXPECT_NEAR(m.hd, std::max(max(d_pt), max(d_tp)), 1e-9);
    EXPECT_NEAR(m.hd95, std::max(percentile(d_pt, 95), percentile(d_tp, 95)), 1e-9);
    EXPECT_NEAR(m.assd, std::max(mean(d_pt), mean(d_tp)), 1e-9);
    const double within = std::count_if(d_pt.begin(), d_pt.end(), [](double v) { return v <= 1.0; }) +
                          std::count_if(d_tp.begin(), d_tp.end(), [](double v) { return v <= 1.0; });
    EXPECT_NEAR(m.nsd, within / (d_pt.size() + d_tp.size()), 1e-12);
  }
}

TEST(Metrics, PercentileIsNumpyLinear) {
  EXPECT_DOUBLE_EQ(percentile({1, 2, 3, 4}, 95), 3.85);  // numpy.percentile([1,2,3,4], 95)
  EXPECT_DOUBLE_EQ(percentile({5}, 95), 5.0);
  EXPECT_DOUBLE_EQ(percentile({3, 1, 2}, 50), 2.0);
  EXPECT_TRUE(std::isnan(percentile({}, 95)));
}

// Two 3x3 squares whose facing edges are 4 pixels apart (spacing 0.5 mm → 2 mm).
TEST(Metrics, HandMadeCases) {
  const Grid g = grid2(12, 5, 0.5, 0.5);
  std::vector<uint8_t> a(60, 0), b(60, 0);
  for (int y = 1; y <= 3; ++y)
    for (int x = 0; x <= 2; ++x) {
      a[x + 12 * y] = 1;
      b[(x + 6) + 12 * y] = 1;  // columns 6..8: nearest column 6 is 4 px from column 2
    }
  const ClassMetrics m = compare_masks(a, b, g, {});
  EXPECT_DOUBLE_EQ(m.dice, 0.0);
  EXPECT_NEAR(m.hd, 0.5 * 6, 1e-12);     // farthest: column 0 to column 6, or column 2 to 8
  EXPECT_NEAR(m.centroid_dist, 0.5 * 6, 1e-12);
  EXPECT_NEAR(m.volume_pred, 9 * 0.25, 1e-12);
  // A one-voxel shift along x of a 3x3x3 block with spacing 2 mm in x: HD = 2 mm, overlap 18 of 27 voxels.
  const Grid g3{3, {6, 5, 5}, {2.0, 1.0, 1.0}};
  std::vector<uint8_t> p(150, 0), t(150, 0);
  for (int z = 1; z <= 3; ++z)
    for (int y = 1; y <= 3; ++y)
      for (int x = 1; x <= 3; ++x) {
        p[x + 6 * (y + 5 * z)] = 1;
        t[(x + 1) + 6 * (y + 5 * z)] = 1;
      }
  const ClassMetrics s = compare_masks(p, t, g3, {});
  EXPECT_NEAR(s.dice, 2.0 * 18 / 54, 1e-12);
  EXPECT_NEAR(s.iou, 18.0 / 36, 1e-12);
  EXPECT_NEAR(s.hd, 2.0, 1e-12);
  EXPECT_NEAR(s.centroid_dist, 2.0, 1e-12);
}

TEST(Metrics, EmptyMaskPolicies) {
  const Grid g = grid2(4, 3, 3.0, 4.0);
  const std::vector<uint8_t> empty(12, 0);
  std::vector<uint8_t> one(12, 0);
  one[5] = 1;
  MetricOptions o;
  ClassMetrics m = compare_masks(empty, one, g, o);
  EXPECT_TRUE(std::isnan(m.hd95));
  EXPECT_EQ(m.dice, 0.0);
  EXPECT_TRUE(std::isnan(compare_masks(empty, empty, g, o).dice));
  o.empty = EmptyPolicy::monai;
  EXPECT_TRUE(std::isinf(compare_masks(empty, one, g, o).hd95));
  EXPECT_TRUE(std::isnan(compare_masks(empty, empty, g, o).hd95));
  o.empty = EmptyPolicy::worst;
  EXPECT_NEAR(compare_masks(empty, one, g, o).hd95, std::sqrt(12.0 * 12.0 + 12.0 * 12.0), 1e-12);  // 12 x 12 mm image
  EXPECT_DOUBLE_EQ(compare_masks(empty, empty, g, o).hd95, 0.0);
}

TEST(Metrics, LabelMapsArePerClass) {
  const Grid g = grid2(6, 4);
  std::vector<int32_t> p(24, 0), t(24, 0);
  for (int i = 0; i < 6; ++i) {
    p[i] = 1;
    t[i] = 1;
    p[18 + i] = 2;
  }
  const auto m = compare_label_maps(p, t, g, {1, 2}, {});
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].label, 1);
  EXPECT_DOUBLE_EQ(m[0].dice, 1.0);
  EXPECT_DOUBLE_EQ(m[0].hd95, 0.0);
  EXPECT_DOUBLE_EQ(m[1].dice, 0.0);
  EXPECT_TRUE(std::isnan(m[1].hd95));
}

TEST(Metrics, AgreeWithScipyReference) {
  std::string out;
  ASSERT_EQ(diffseg::test::run_command(std::string(diffseg::test::debian_python()) + " " + DIFFSEG_TEST_SOURCE_DIR +
                                           "/metrics/scipy_reference.py",
                                       &out),
            0)
      << "is python3-scipy installed (scripts/setup.sh)?";
  for (const auto& c : nlohmann::json::parse(out)) {
    Grid g;
    g.dims = c.at("dims");
    const auto size = c.at("size").get<std::vector<int64_t>>();
    const auto spacing = c.at("spacing").get<std::vector<double>>();
    for (int a = 0; a < 3; ++a) {
      g.size[a] = size[a];
      g.spacing[a] = spacing[a];
    }
    const auto p = c.at("pred").get<std::vector<uint8_t>>(), t = c.at("ref").get<std::vector<uint8_t>>();
    const ClassMetrics m = compare_masks(p, t, g, {});
    MetricOptions pooled;
    pooled.hd95 = pooled.assd = SurfaceAggregate::pooled;
    const ClassMetrics mp = compare_masks(p, t, g, pooled);
    EXPECT_NEAR(m.dice, c.at("dice").get<double>(), 1e-12);
    EXPECT_NEAR(m.hd, c.at("hd").get<double>(), 1e-9);
    EXPECT_NEAR(m.hd95, c.at("hd95").get<double>(), 1e-9);
    EXPECT_NEAR(mp.hd95, c.at("hd95_pooled").get<double>(), 1e-9);
    EXPECT_NEAR(m.assd, c.at("assd").get<double>(), 1e-9);
    EXPECT_NEAR(mp.assd, c.at("assd_pooled").get<double>(), 1e-9);
    EXPECT_NEAR(m.nsd, c.at("nsd").get<double>(), 1e-12);
  }
}
