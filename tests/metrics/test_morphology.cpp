#include "diffseg/metrics/morphology.h"

#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "diffseg/core/error.h"
#include "diffseg/io/case_loader.h"
#include "diffseg/metrics/mask_postprocess.h"
#include "test_util.h"

using namespace diffseg::metrics;

namespace {
Mask2D read_mask(const std::string& name) {
  const diffseg::io::Image im = diffseg::io::read_label_map(std::string(DIFFSEG_FIXTURES_DIR) + "/muscle_us/" + name, 2);
  Mask2D m{im.size().x, im.size().y, {}};
  m.pixels.assign(im.data<uint8_t>(), im.data<uint8_t>() + im.size().voxels());
  return m;
}

int64_t differing(const Mask2D& a, const Mask2D& b) {
  int64_t n = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) n += a.pixels[i] != b.pixels[i];
  return n;
}
}  // namespace

// The reference's unit-test fixtures (tests/fixtures/muscle_us): component selection, pixel for pixel.
TEST(Morphology, ComponentSelectionReproducesTheReferenceFixtures) {
  const struct {
    const char *input, *expected;
    double threshold;
  } cases[] = {
      {"BB_anon_425_2_mask_pred.png", "BB_anon_425_2_mask_pred_postprocessed.png", 0.75},
      {"BB_anon_425_2_mask_pred.png", "BB_anon_425_2_mask_pred_postprocessed.png", 0.5},
      {"GM_anon_780_3_mask_pred.png", "GM_anon_780_3_mask_pred_postprocessed.png", 0.75},
      {"BB_anon_1789_3_mask_pred.png", "BB_anon_1789_3_mask_pred_postprocessed_0.5.png", 0.5},
      {"BB_anon_1789_3_mask_pred.png", "BB_anon_1789_3_mask_pred_postprocessed_0.75.png", 0.75},
  };
  for (const auto& c : cases) {
    const Mask2D in = read_mask(c.input), expected = read_mask(c.expected);
    EXPECT_GT(connected_components(in).stats.size(), 10u) << c.input;
    const Mask2D out = select_connected_component(in, c.threshold);
    EXPECT_EQ(differing(out, expected), 0) << c.input << " threshold " << c.threshold;
  }
  // The two 1789 thresholds give different answers: the left-edge rule is really exercised.
  EXPECT_GT(differing(read_mask("BB_anon_1789_3_mask_pred_postprocessed_0.5.png"),
                      read_mask("BB_anon_1789_3_mask_pred_postprocessed_0.75.png")), 0);
}

TEST(Morphology, AgreesWithScipy) {
  std::string out;
  ASSERT_EQ(diffseg::test::run_command(std::string(diffseg::test::debian_python()) + " " + DIFFSEG_TEST_SOURCE_DIR +
                                           "/metrics/scipy_morphology.py",
                                       &out),
            0)
      << "is python3-scipy installed (scripts/setup.sh)?";
  for (const auto& c : nlohmann::json::parse(out)) {
    const Mask2D m{c.at("width").get<int64_t>(), c.at("height").get<int64_t>(), c.at("mask").get<std::vector<uint8_t>>()};
    auto expect = [&](const char* key, const Mask2D& got) {
      const Mask2D want{m.width, m.height, c.at(key).get<std::vector<uint8_t>>()};
      EXPECT_EQ(differing(got, want), 0) << key << " on " << m.width << "x" << m.height;
    };
    expect("fill_holes", fill_holes(m));
    expect("erode_box5", erode_box(m, 5));
    expect("dilate_box5", dilate_box(m, 5));
    expect("erode_disk4", erode_disk(m, 4));
    expect("dilate_disk4", dilate_disk(m, 4));
    expect("open_disk4", open_disk(m, 4));
    expect("dilate_disk9", dilate_disk(m, 9));
    std::vector<int64_t> areas;
    for (const Component& k : connected_components(m).stats) areas.push_back(k.area);
    std::sort(areas.rbegin(), areas.rend());
    EXPECT_EQ(areas, c.at("component_areas").get<std::vector<int64_t>>());
  }
}

// The full muscle pipeline leaves one hole-free component, and removes speckle a model might produce.
TEST(Morphology, MusclePostProcessingGivesOneSolidComponent) {
  Mask2D m = read_mask("BB_anon_425_2_mask_pred.png");
  const Mask2D out = postprocess_muscle_us(m);
  EXPECT_EQ(connected_components(out).stats.size(), 1u);
  EXPECT_EQ(differing(fill_holes(out), out), 0);
  int64_t area = 0;
  for (uint8_t v : out.pixels) area += v;
  EXPECT_GT(area, 1000);
  EXPECT_THROW(parse_postprocess("smooth"), diffseg::UsageError);
}
