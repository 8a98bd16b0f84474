#pragma once
// Paired comparisons of two methods scored on the same cases (the experiment tables): the two-sided Wilcoxon
// signed-rank test and a paired percentile bootstrap interval of the mean difference. Torch-free.
//
// Both take a[i], b[i] as one pair (the same case scored by two methods) and drop a pair whose difference a − b is
// NaN (a NaN score, or inf − inf): a case one method could not score says nothing about the difference.
#include <cmath>
#include <cstdint>
#include <vector>

namespace diffseg::metrics {

struct WilcoxonResult {
  double statistic = std::nan("");  // min(W+, W−), the two-sided statistic scipy reports
  double p_value = std::nan("");    // two-sided
  int64_t ranked = 0;               // non-zero differences that were ranked
  bool exact = false;               // p from the exact null distribution of W+, else the normal approximation
};

// The result of scipy.stats.wilcoxon(a, b) with its defaults in scipy 1.10 (zero_method="wilcox",
// correction=False, method="auto"), on the pairs left after the NaN rule above:
//   - no difference is zero and there are at most 50 pairs: exact p from the null distribution of W+. With tied
//     |differences| W+ is a sum of midranks; it is rounded down and the untied distribution used, as scipy 1.10
//     does, so such a p-value is close to, not exactly, the exact one;
//   - otherwise zero differences are dropped and p comes from the normal approximation with the tie correction
//     var = n(n+1)(2n+1)/24 − Σ(t³ − t)/48 and no continuity correction;
//   - no non-zero difference left: statistic and p are NaN (the test is undefined there; scipy raises).
// Throws std::invalid_argument when a and b differ in length.
WilcoxonResult wilcoxon_signed_rank(const std::vector<double>& a, const std::vector<double>& b);

// P(W+ = w) for w = 0 .. n(n+1)/2 when the n ranks 1..n each carry a random sign: the exact null distribution of
// the signed-rank statistic (exact in double precision up to n = 53).
std::vector<double> signed_rank_null_distribution(int64_t n);

struct BootstrapOptions {
  int64_t resamples = 10000;
  uint64_t seed = 0;
  double level = 0.95;  // central coverage of the interval
};

struct MeanDifferenceInterval {
  double mean = std::nan("");                      // mean of a − b over the usable pairs
  double low = std::nan(""), high = std::nan("");  // the bootstrap interval of that mean
  int64_t pairs = 0;
};

// Paired percentile bootstrap of mean(a − b): resample the n usable pairs with replacement, `resamples` times, and
// take the (1 − level)/2 and (1 + level)/2 percentiles of the resampled means.
//   - Resample r (from 0) takes, as its j-th draw (from 0), pair ⌊x · n / 2⁶⁴⌋ with x = mix_seed(seed, r·n + j)
//     (splitmix64, core/seed.h): fixed arithmetic, so a seed gives the same interval on every platform and
//     standard library, and a NumPy script can repeat the draws (tests/metrics/scipy_statistics.py does).
//   - Percentiles as NumPy's default ("linear", Hyndman–Fan type 7): with the means sorted, m[0] ≤ … ≤ m[R−1],
//     percentile q is m[k] + (h − k)(m[k+1] − m[k]) with h = (R − 1)q and k = ⌊h⌋.
// No usable pair: everything NaN. A non-finite difference leaves the interval NaN (the mean is then ±inf or NaN).
// Throws std::invalid_argument when a and b differ in length, resamples < 1 or level is not inside (0, 1).
MeanDifferenceInterval bootstrap_mean_difference(const std::vector<double>& a, const std::vector<double>& b,
                                                 const BootstrapOptions& options = {});

}  // namespace diffseg::metrics
