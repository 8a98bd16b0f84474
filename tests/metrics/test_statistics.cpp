#include "diffseg/metrics/statistics.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <random>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_util.h"

using namespace diffseg::metrics;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The reference's JSON (tests/metrics/scipy_statistics.py), or the reason it cannot run here.
struct Reference {
  nlohmann::json data;
  std::string missing;
};

const Reference& scipy_reference() {
  static const Reference ref = [] {
    Reference r;
    const std::string python = diffseg::test::debian_python();
    if (diffseg::test::run_command(python + " -c 'import numpy, scipy' 2>/dev/null") != 0) {
      r.missing = python + " has no numpy/scipy (scripts/setup.sh installs python3-scipy)";
      return r;
    }
    std::string out;
    const int rc = diffseg::test::run_command(
        python + " " + DIFFSEG_TEST_SOURCE_DIR + "/metrics/scipy_statistics.py", &out);
    if (rc != 0) throw std::runtime_error("tests/metrics/scipy_statistics.py failed with exit status " +
                                          std::to_string(rc));
    r.data = nlohmann::json::parse(out);
    return r;
  }();
  return ref;
}

// JSON scores: null = NaN, "inf"/"-inf" = ±infinity.
std::vector<double> scores(const nlohmann::json& j) {
  std::vector<double> v;
  for (const auto& x : j) {
    if (x.is_null()) v.push_back(kNaN);
    else if (x.is_string()) v.push_back(x.get<std::string>() == "inf" ? INFINITY : -INFINITY);
    else v.push_back(x.get<double>());
  }
  return v;
}

std::vector<double> normal_sample(size_t n, double mean, double sd, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(mean, sd);
  std::vector<double> v(n);
  for (auto& x : v) x = g(rng);
  return v;
}

double width(const MeanDifferenceInterval& i) { return i.high - i.low; }

}  // namespace

TEST(Statistics, NullDistributionMatchesEnumerationOfSigns) {
  for (int64_t n = 0; n <= 12; ++n) {
    // Every one of the 2^n sign patterns of ranks 1..n, counted by its W+.
    std::vector<double> count(static_cast<size_t>(n * (n + 1) / 2 + 1), 0.0);
    for (uint32_t signs = 0; signs < (1u << n); ++signs) {
      int64_t w = 0;
      for (int64_t k = 1; k <= n; ++k)
        if (signs & (1u << (k - 1))) w += k;
      count[static_cast<size_t>(w)] += 1;
    }
    const std::vector<double> p = signed_rank_null_distribution(n);
    ASSERT_EQ(p.size(), count.size()) << "n=" << n;
    for (size_t w = 0; w < p.size(); ++w) EXPECT_EQ(p[w], std::ldexp(count[w], static_cast<int>(-n))) << n << " " << w;
  }
  EXPECT_THROW(signed_rank_null_distribution(-1), std::invalid_argument);
}

TEST(Statistics, WilcoxonMatchesScipyDocumentationExample) {
  // scipy.stats.wilcoxon's documented example (Darwin's height differences): statistic 24, exact p 0.041259765625.
  const std::vector<double> d{6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75};
  const WilcoxonResult r = wilcoxon_signed_rank(d, std::vector<double>(d.size(), 0.0));
  EXPECT_EQ(r.statistic, 24.0);
  EXPECT_EQ(r.p_value, 0.041259765625);
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.ranked, 15);
}

TEST(Statistics, WilcoxonAgreesWithScipy) {
  const Reference& ref = scipy_reference();
  if (!ref.missing.empty()) GTEST_SKIP() << "skipped: " << ref.missing;
  // statistics.h follows scipy 1.10's rules ("auto" keeps the exact path under ties); a newer scipy may differ.
  const std::string version = "scipy " + ref.data.at("scipy").get<std::string>();
  double max_exact = 0, max_approx = 0;
  int exact_cases = 0, approx_cases = 0, floored_ties = 0;
  for (const auto& c : ref.data.at("wilcoxon")) {
    const std::string name = c.at("name");
    const WilcoxonResult r = wilcoxon_signed_rank(scores(c.at("x")), scores(c.at("y")));
    EXPECT_EQ(r.ranked, c.at("ranked").get<int64_t>()) << name;
    if (c.at("p").is_null()) {  // scipy refuses: no non-zero difference
      EXPECT_TRUE(std::isnan(r.p_value) && std::isnan(r.statistic)) << name << ": p " << r.p_value;
      continue;
    }
    const double p = c.at("p"), statistic = c.at("statistic");
    EXPECT_EQ(r.statistic, statistic) << name << " (" << version << ")";  // sums of midranks: exact in both
    EXPECT_EQ(r.exact, c.at("exact").get<bool>()) << name;
    const double diff = std::abs(r.p_value - p);
    if (r.exact) {
      // Sums of multiples of 2^-n: both sides are exact.
      EXPECT_LE(diff, 1e-15) << name << ": p " << r.p_value << ", " << version << " " << p;
      max_exact = std::max(max_exact, diff), ++exact_cases;
      const double w_plus = c.at("w_plus");
      if (c.at("tied").get<bool>() && w_plus != std::floor(w_plus)) ++floored_ties;
    } else {
      EXPECT_LE(diff, 1e-13 * std::max(p, 1e-3)) << name << ": p " << r.p_value << ", " << version << " " << p;
      max_approx = std::max(max_approx, diff), ++approx_cases;
    }
  }
  // The reference must reach every path, including scipy 1.10's rounding of a half-integer W+ under ties.
  EXPECT_GE(exact_cases, 40);
  EXPECT_GE(approx_cases, 10);
  EXPECT_GE(floored_ties, 1);
  std::cout << version << ": " << exact_cases
            << " exact cases, max |p - scipy| " << max_exact << "; " << approx_cases
            << " normal-approximation cases, max |p - scipy| " << max_approx << "\n";
}

TEST(Statistics, WilcoxonIsSymmetricInItsSamples) {
  const auto a = normal_sample(30, 0.8, 0.05, 1), b = normal_sample(30, 0.78, 0.05, 2);
  const WilcoxonResult ab = wilcoxon_signed_rank(a, b), ba = wilcoxon_signed_rank(b, a);
  EXPECT_EQ(ab.statistic, ba.statistic);
  EXPECT_EQ(ab.p_value, ba.p_value);
}

TEST(Statistics, WilcoxonUndefinedCasesAndErrors) {
  EXPECT_TRUE(std::isnan(wilcoxon_signed_rank({}, {}).p_value));
  EXPECT_TRUE(std::isnan(wilcoxon_signed_rank({0.5, kNaN}, {kNaN, 0.5}).p_value));
  const WilcoxonResult same = wilcoxon_signed_rank({0.5, 0.6}, {0.5, 0.6});
  EXPECT_TRUE(std::isnan(same.p_value));
  EXPECT_EQ(same.ranked, 0);
  EXPECT_THROW(wilcoxon_signed_rank({1, 2, 3}, {1, 2}), std::invalid_argument);
}

TEST(Statistics, BootstrapAgreesWithNumpyOnTheSameDraws) {
  const Reference& ref = scipy_reference();
  if (!ref.missing.empty()) GTEST_SKIP() << "skipped: " << ref.missing;
  double max_diff = 0;
  for (const auto& c : ref.data.at("bootstrap")) {
    BootstrapOptions o;
    o.seed = c.at("seed");
    o.resamples = c.at("resamples");
    o.level = c.at("level");
    const MeanDifferenceInterval r = bootstrap_mean_difference(scores(c.at("x")), scores(c.at("y")), o);
    const std::string what = "pairs " + std::to_string(r.pairs) + " seed " + std::to_string(o.seed);
    EXPECT_EQ(r.pairs, c.at("pairs").get<int64_t>()) << what;
    for (const auto& [mine, key] : {std::pair{r.mean, "mean"}, std::pair{r.low, "low"}, std::pair{r.high, "high"}}) {
      const double diff = std::abs(mine - c.at(key).get<double>());
      EXPECT_LE(diff, 1e-14) << what << " " << key << ": " << mine << " numpy " << c.at(key).get<double>();
      max_diff = std::max(max_diff, diff);
    }
  }
  std::cout << ref.data.at("bootstrap").size() << " bootstrap cases, max |bound - numpy| " << max_diff << "\n";
}

TEST(Statistics, BootstrapIsDeterministicPerSeed) {
  const auto a = normal_sample(40, 0.8, 0.05, 3), b = normal_sample(40, 0.78, 0.05, 4);
  BootstrapOptions o;
  o.seed = 11;
  const MeanDifferenceInterval x = bootstrap_mean_difference(a, b, o), y = bootstrap_mean_difference(a, b, o);
  EXPECT_EQ(x.low, y.low);
  EXPECT_EQ(x.high, y.high);
  o.seed = 12;
  const MeanDifferenceInterval z = bootstrap_mean_difference(a, b, o);
  EXPECT_NE(x.low, z.low);
  EXPECT_EQ(x.mean, z.mean);  // the point estimate does not depend on the draws
}

TEST(Statistics, BootstrapIntervalContainsTheMeanAndShrinksWithN) {
  const MeanDifferenceInterval small =
      bootstrap_mean_difference(normal_sample(25, 0.80, 0.05, 5), normal_sample(25, 0.78, 0.05, 6));
  const MeanDifferenceInterval large =
      bootstrap_mean_difference(normal_sample(400, 0.80, 0.05, 7), normal_sample(400, 0.78, 0.05, 8));
  for (const auto& i : {small, large}) {
    EXPECT_LT(i.low, i.mean);
    EXPECT_GT(i.high, i.mean);
  }
  // The width goes as 1/sqrt(n): 16 times the pairs, about a quarter of the width.
  EXPECT_LT(width(large), width(small) / 2.5);
  EXPECT_GT(width(large), width(small) / 6.0);
  // The interval for 400 pairs of sd 0.05·√2 has width ≈ 2 · 1.96 · 0.0707 / 20.
  EXPECT_NEAR(width(large), 2 * 1.96 * 0.05 * std::sqrt(2.0) / 20, 0.003);
  BootstrapOptions wider;
  wider.level = 0.99;
  EXPECT_GT(width(bootstrap_mean_difference(normal_sample(25, 0.80, 0.05, 5), normal_sample(25, 0.78, 0.05, 6),
                                            wider)),
            width(small));
}

TEST(Statistics, BootstrapEdgeCasesAndErrors) {
  const MeanDifferenceInterval one = bootstrap_mean_difference({0.9, kNaN}, {0.7, 0.5});
  EXPECT_EQ(one.pairs, 1);
  EXPECT_DOUBLE_EQ(one.low, 0.2);
  EXPECT_DOUBLE_EQ(one.high, 0.2);
  const MeanDifferenceInterval constant = bootstrap_mean_difference({0.75, 0.5, 0.25}, {0.5, 0.25, 0.0});
  EXPECT_EQ(constant.low, 0.25);
  EXPECT_EQ(constant.high, 0.25);
  const MeanDifferenceInterval none = bootstrap_mean_difference({kNaN}, {0.5});
  EXPECT_EQ(none.pairs, 0);
  EXPECT_TRUE(std::isnan(none.mean) && std::isnan(none.low) && std::isnan(none.high));
  const MeanDifferenceInterval infinite = bootstrap_mean_difference({INFINITY, 0.5}, {0.5, 0.4});
  EXPECT_TRUE(std::isinf(infinite.mean));
  EXPECT_TRUE(std::isnan(infinite.low) && std::isnan(infinite.high));
  EXPECT_THROW(bootstrap_mean_difference({1, 2}, {1}), std::invalid_argument);
  BootstrapOptions bad;
  bad.resamples = 0;
  EXPECT_THROW(bootstrap_mean_difference({1}, {0}, bad), std::invalid_argument);
  bad = {};
  bad.level = 1.0;
  EXPECT_THROW(bootstrap_mean_difference({1}, {0}, bad), std::invalid_argument);
}
