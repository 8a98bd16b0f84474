#include "diffseg/metrics/statistics.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

#include "diffseg/core/percentile.h"
#include "diffseg/core/seed.h"

namespace diffseg::metrics {

namespace {

// scipy's method="auto" uses the exact distribution up to this many pairs (zeros included).
constexpr size_t kExactMaxPairs = 50;

// a[i] − b[i] for the pairs whose difference is a number (see the header's NaN rule).
std::vector<double> paired_differences(const std::vector<double>& a, const std::vector<double>& b,
                                       const char* who) {
  if (a.size() != b.size())
    throw std::invalid_argument(std::string(who) + ": paired samples differ in length (" +
                                std::to_string(a.size()) + " and " + std::to_string(b.size()) + ")");
  std::vector<double> d;
  d.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const double x = a[i] - b[i];
    if (!std::isnan(x)) d.push_back(x);
  }
  return d;
}

// Two-sided exact p-value for W+ = w_plus among n untied ranks: twice the smaller tail, each tail including w_plus,
// capped at 1. (scipy's separate rule "1 at the centre ⌊n(n+1)/4⌋" gives the same: the distribution is symmetric.)
double exact_two_sided_p(int64_t n, int64_t w_plus) {
  const std::vector<double> pmf = signed_rank_null_distribution(n);
  const auto split = pmf.begin() + w_plus;
  const double lower = std::accumulate(pmf.begin(), split + 1, 0.0);
  const double upper = std::accumulate(split, pmf.end(), 0.0);
  return std::min(1.0, 2.0 * std::min(lower, upper));
}

// ⌊x · n / 2⁶⁴⌋ without 128-bit arithmetic (n < 2³²): split x into 32-bit halves.
uint64_t scale_to_index(uint64_t x, uint64_t n) {
  const uint64_t hi = x >> 32, lo = x & 0xFFFFFFFFull;
  return (hi * n + ((lo * n) >> 32)) >> 32;
}

}  // namespace

std::vector<double> signed_rank_null_distribution(int64_t n) {
  if (n < 0) throw std::invalid_argument("signed_rank_null_distribution: n must be >= 0, got " + std::to_string(n));
  // Adding rank k: W+ keeps its value (negative sign) or grows by k (positive sign), each with probability 1/2.
  std::vector<double> p{1.0};
  for (int64_t k = 1; k <= n; ++k) {
    std::vector<double> next(p.size() + static_cast<size_t>(k), 0.0);
    for (size_t w = 0; w < p.size(); ++w) {
      next[w] += 0.5 * p[w];
      next[w + static_cast<size_t>(k)] += 0.5 * p[w];
    }
    p = std::move(next);
  }
  return p;
}

WilcoxonResult wilcoxon_signed_rank(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> d = paired_differences(a, b, "wilcoxon_signed_rank");
  // scipy decides on the pairs before dropping zeros: any zero difference means the normal approximation.
  const bool has_zero = std::find(d.begin(), d.end(), 0.0) != d.end();
  const bool exact = !has_zero && d.size() <= kExactMaxPairs;
  d.erase(std::remove(d.begin(), d.end(), 0.0), d.end());
  WilcoxonResult result;
  const size_t n = d.size();
  result.ranked = static_cast<int64_t>(n);
  if (n == 0) return result;

  // Midranks of |d|; Σ(t³ − t) over the groups of tied |d| for the variance correction.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return std::abs(d[x]) < std::abs(d[y]); });
  std::vector<double> rank(n);
  double tie_term = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && std::abs(d[order[j]]) == std::abs(d[order[i]])) ++j;
    const double midrank = static_cast<double>(i + 1 + j) / 2.0;  // mean of ranks i+1 .. j
    for (size_t k = i; k < j; ++k) rank[order[k]] = midrank;
    const double t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    i = j;
  }
  double w_plus = 0;
  for (size_t i = 0; i < n; ++i)
    if (d[i] > 0) w_plus += rank[i];
  const double nn = static_cast<double>(n);
  const double total = nn * (nn + 1) / 2;  // W+ + W−: midranks are multiples of 1/2, so this is exact
  result.statistic = std::min(w_plus, total - w_plus);
  result.exact = exact;
  if (exact) {
    result.p_value = exact_two_sided_p(static_cast<int64_t>(n), static_cast<int64_t>(std::floor(w_plus)));
  } else {
    const double variance = nn * (nn + 1) * (2 * nn + 1) / 24 - tie_term / 48;
    const double z = (result.statistic - total / 2) / std::sqrt(variance);
    result.p_value = std::erfc(std::abs(z) / std::sqrt(2.0));  // 2 · P(Z > |z|)
  }
  return result;
}

MeanDifferenceInterval bootstrap_mean_difference(const std::vector<double>& a, const std::vector<double>& b,
                                                 const BootstrapOptions& o) {
  if (o.resamples < 1)
    throw std::invalid_argument("bootstrap_mean_difference: resamples must be >= 1, got " +
                                std::to_string(o.resamples));
  if (!(o.level > 0 && o.level < 1))
    throw std::invalid_argument("bootstrap_mean_difference: level must lie inside (0, 1), got " +
                                std::to_string(o.level));
  const std::vector<double> d = paired_differences(a, b, "bootstrap_mean_difference");
  MeanDifferenceInterval out;
  const uint64_t n = d.size();
  out.pairs = static_cast<int64_t>(n);
  if (n == 0) return out;
  if (n >= (uint64_t{1} << 32))
    throw std::invalid_argument("bootstrap_mean_difference: more than 2^32 pairs are not supported");
  out.mean = std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(n);
  if (!std::isfinite(out.mean) ||
      std::any_of(d.begin(), d.end(), [](double x) { return !std::isfinite(x); }))
    return out;

  std::vector<double> means(static_cast<size_t>(o.resamples));
  for (uint64_t r = 0; r < means.size(); ++r) {
    double sum = 0;
    for (uint64_t j = 0; j < n; ++j) sum += d[scale_to_index(mix_seed(o.seed, r * n + j), n)];
    means[r] = sum / static_cast<double>(n);
  }
  std::sort(means.begin(), means.end());
  const double tail = (1 - o.level) / 2;
  out.low = percentile_of_sorted(means, 100 * tail);
  out.high = percentile_of_sorted(means, 100 * (1 - tail));
  return out;
}

}  // namespace diffseg::metrics
