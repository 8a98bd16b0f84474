// Compiled with -mavx2 -mfma -fopenmp-simd on x86-64 (src/diffseg/CMakeLists.txt). Everything here has internal
// linkage or plain C++ types only: an inline function from a shared header compiled with AVX2 could otherwise be
// picked by the linker for code that runs on CPUs without it. The loops are written so GCC vectorises them
// (no calls: exp is a polynomial below; reductions are `omp simd` over blocks, accumulated in double).
#include "diffseg/model/norm_act_kernel.h"

namespace diffseg::model::kernel {

namespace {

constexpr int64_t kBlock = 2048;          // elements per float partial sum (then summed in double)
constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kGeluCubic = 0.044715f;

// e^x for x in [-87, 88] (clamped), relative error ~1e-7: x = n ln2 + r with |r| ≤ ln2/2 (ln2 split in a part
// exact in float and a correction), e^r by its degree-7 Taylor polynomial (|r|^8/8! < 3e-9), 2^n built in the
// exponent bits.
inline float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  // Round to nearest by adding and removing 1.5·2^23 (floorf would stop GCC from vectorising the loop).
  constexpr float kRound = 12582912.0f;
  const float n = (x * 1.44269504088896341f + kRound) - kRound;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return p * __builtin_bit_cast(float, bits);
}

// gelu_tanh(z) = z·(1 + tanh(u))/2 = z·σ(2u) with u = √(2/π)(z + 0.044715 z³).
inline float sigmoid_2u(float z) {
  const float u = kSqrt2OverPi * (z + kGeluCubic * z * z * z);
  return 1.0f / (1.0f + exp_approx(-2.0f * u));
}

// d gelu_tanh / dz = σ + z·du/dz·(1 - tanh²)/2 = σ + z·√(2/π)(1 + 3·0.044715 z²)·2σ(1 - σ).
inline float gelu_derivative(float z) {
  const float s = sigmoid_2u(z);
  return s + z * kSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * z * z) * 2.0f * s * (1.0f - s);
}

// Σ x and Σ (x - mean)² in two passes (the second from cache): stable for planes of millions of elements.
void plane_moments(const float* __restrict x, int64_t n, double* mean_out, double* var_out) {
  double total = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = b + kBlock < n ? b + kBlock : n;
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = b; i < e; ++i) s += x[i];
    total += s;
  }
  const double mean = total / static_cast<double>(n);
  const auto m = static_cast<float>(mean);
  double sq = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = b + kBlock < n ? b + kBlock : n;
    float s = 0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = b; i < e; ++i) s += (x[i] - m) * (x[i] - m);
    sq += s;
  }
  *mean_out = mean;
  *var_out = sq / static_cast<double>(n);
}

// The element loops, instantiated per combination of features so each is a straight vectorisable loop.
template <bool kGelu, bool kResidual, bool kMask>
void forward_loop(const PlaneArgs& a, float scale, float shift, float* __restrict y) {
  const float* __restrict h = a.h;
  const float* __restrict res = a.residual;
  const HashMask m = a.mask;
  const int64_t base = a.first_index;
#pragma omp simd
  for (int64_t i = 0; i < a.n; ++i) {
    float z = h[i] * scale + shift;
    if constexpr (kResidual) z += res[i];
    if constexpr (kGelu) z *= sigmoid_2u(z);
    if constexpr (kMask) z *= hash_mask_factor(m, base + i);
    y[i] = z;
  }
}

// dz = dy · mask · gelu'(z) over [b, e); returns Σdz and Σdz·(h - mean) of the range.
template <bool kGelu, bool kResidual, bool kMask>
void backward_loop(const PlaneArgs& a, float scale, float shift, float mean, const float* __restrict dy,
                   float* __restrict dz, int64_t b, int64_t e, float* sum, float* sum_centred) {
  const float* __restrict h = a.h;
  const float* __restrict res = a.residual;
  const HashMask m = a.mask;
  const int64_t base = a.first_index;
  float s = 0, sx = 0;
#pragma omp simd reduction(+ : s, sx)
  for (int64_t i = b; i < e; ++i) {
    float g = dy[i];
    if constexpr (kMask) g *= hash_mask_factor(m, base + i);
    if constexpr (kGelu) {
      float z = h[i] * scale + shift;
      if constexpr (kResidual) z += res[i];
      g *= gelu_derivative(z);
    }
    dz[i] = g;
    s += g;
    sx += g * (h[i] - mean);
  }
  *sum = s;
  *sum_centred = sx;
}

template <bool kGelu, bool kResidual>
void forward_dispatch_mask(const PlaneArgs& a, float scale, float shift, float* y) {
  if (a.mask.enabled) forward_loop<kGelu, kResidual, true>(a, scale, shift, y);
  else forward_loop<kGelu, kResidual, false>(a, scale, shift, y);
}

template <bool kGelu, bool kResidual>
void backward_dispatch_mask(const PlaneArgs& a, float scale, float shift, float mean, const float* dy, float* dz,
                            int64_t b, int64_t e, float* s, float* sx) {
  if (a.mask.enabled) backward_loop<kGelu, kResidual, true>(a, scale, shift, mean, dy, dz, b, e, s, sx);
  else backward_loop<kGelu, kResidual, false>(a, scale, shift, mean, dy, dz, b, e, s, sx);
}

}  // namespace

bool norm_act_kernel_supported() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return true;
#endif
}

void norm_act_forward(const PlaneArgs& a, float eps, float* y, float* mean_out, float* rstd_out) {
  double mean = 0, var = 0;
  plane_moments(a.h, a.n, &mean, &var);
  const auto rstd = static_cast<float>(1.0 / __builtin_sqrt(var + eps));
  *mean_out = static_cast<float>(mean);
  *rstd_out = rstd;
  // z = h·scale + shift folds normalisation, weight and offset into one multiply-add.
  const float scale = rstd * a.weight;
  const float shift = a.offset - static_cast<float>(mean) * scale;
  const bool residual = a.residual != nullptr;
  if (a.gelu && residual) forward_dispatch_mask<true, true>(a, scale, shift, y);
  else if (a.gelu) forward_dispatch_mask<true, false>(a, scale, shift, y);
  else if (residual) forward_dispatch_mask<false, true>(a, scale, shift, y);
  else forward_dispatch_mask<false, false>(a, scale, shift, y);
}

void norm_act_backward(const PlaneArgs& a, float mean, float rstd, const float* dy, float* dz, float* dh,
                       double* sum_dz, double* sum_dz_xhat) {
  const float scale = rstd * a.weight;
  const float shift = a.offset - mean * scale;
  const bool residual = a.residual != nullptr;
  double sg = 0, sgx = 0;
  // Pass 1: dz = dy · mask · gelu'(z), with the two per-plane sums the normalisation's gradient needs.
  for (int64_t b = 0; b < a.n; b += kBlock) {
    const int64_t e = b + kBlock < a.n ? b + kBlock : a.n;
    float s = 0, sx = 0;
    if (a.gelu && residual) backward_dispatch_mask<true, true>(a, scale, shift, mean, dy, dz, b, e, &s, &sx);
    else if (a.gelu) backward_dispatch_mask<true, false>(a, scale, shift, mean, dy, dz, b, e, &s, &sx);
    else backward_dispatch_mask<false, false>(a, scale, shift, mean, dy, dz, b, e, &s, &sx);
    sg += s;
    sgx += sx;
  }
  sgx *= rstd;  // Σ dz·x̂
  *sum_dz = sg;
  *sum_dz_xhat = sgx;
  // Pass 2 (from cache): dh = rstd·w·(dz - mean(dz) - x̂·mean(dz·x̂)).
  const auto inv_n = 1.0 / static_cast<double>(a.n);
  const auto mg = static_cast<float>(sg * inv_n);
  const auto mgx = static_cast<float>(sgx * inv_n) * rstd;
  const float* h = a.h;
#pragma omp simd
  for (int64_t i = 0; i < a.n; ++i) dh[i] = scale * (dz[i] - mg - (h[i] - mean) * mgx);
}

}  // namespace diffseg::model::kernel
