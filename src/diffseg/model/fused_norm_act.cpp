#include "diffseg/model/fused_norm_act.h"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "diffseg/model/hash_dropout.h"
#include "diffseg/model/norm_act_kernel.h"

namespace diffseg::model {

namespace {

bool fused_enabled() {
  static const bool enabled = [] {
    const char* env = std::getenv("DIFFSEG_FUSED_KERNELS");
    return kernel::norm_act_kernel_supported() && !(env && std::strcmp(env, "0") == 0);
  }();
  return enabled;
}

bool is_cpu_float(const torch::Tensor& t) { return !t.defined() || (t.is_cpu() && t.scalar_type() == torch::kFloat); }

// Everything the per-plane kernels need, with contiguous inputs kept alive.
struct Planes {
  torch::Tensor x, weight, bias, shift, residual;
  int64_t batch = 0, channels = 0, plane = 0;
  NormActOptions options;

  Planes(const torch::Tensor& x_, const torch::Tensor& w, const torch::Tensor& b, const torch::Tensor& shift_,
         const torch::Tensor& residual_, const NormActOptions& o)
      : x(x_.contiguous()), weight(w.contiguous()), bias(b.contiguous()), options(o) {
    // Absent inputs arrive as undefined or (through the autograd function, which cannot take undefined ones) empty.
    if (shift_.defined() && shift_.numel() > 0) shift = shift_.contiguous();
    if (residual_.defined() && residual_.numel() > 0) residual = residual_.contiguous();
    batch = x.size(0);
    channels = x.size(1);
    plane = channels > 0 && batch > 0 ? x.numel() / (batch * channels) : 0;
  }

  kernel::PlaneArgs args(int64_t index) const {
    const int64_t c = index % channels;
    kernel::PlaneArgs a;
    a.h = x.data_ptr<float>() + index * plane;
    a.residual = residual.defined() ? residual.data_ptr<float>() + index * plane : nullptr;
    a.n = plane;
    a.first_index = (index + options.first_sample * channels) * plane;
    a.weight = weight.data_ptr<float>()[c];
    a.offset = bias.data_ptr<float>()[c] + (shift.defined() ? shift.data_ptr<float>()[index] : 0.0f);
    a.gelu = options.gelu;
    a.mask = options.dropout > 0 ? make_hash_mask(options.dropout, options.seed) : HashMask{};
    return a;
  }

  int64_t grain() const { return std::max<int64_t>(1, 32768 / std::max<int64_t>(plane, 1)); }
};

torch::Tensor fused_forward(const Planes& p, torch::Tensor* mean, torch::Tensor* rstd) {
  torch::Tensor y = torch::empty_like(p.x);
  *mean = torch::empty({p.batch * p.channels}, p.x.options());
  *rstd = torch::empty({p.batch * p.channels}, p.x.options());
  float* yp = y.data_ptr<float>();
  float* mp = mean->data_ptr<float>();
  float* rp = rstd->data_ptr<float>();
  const auto eps = static_cast<float>(p.options.eps);
  at::parallel_for(0, p.batch * p.channels, p.grain(), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) kernel::norm_act_forward(p.args(i), eps, yp + i * p.plane, mp + i, rp + i);
  });
  return y;
}

class NormActFunction : public torch::autograd::Function<NormActFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, const torch::Tensor& shift, const torch::Tensor& residual,
                               bool gelu, double dropout, int64_t seed, int64_t first_sample, double eps) {
    NormActOptions o;
    o.gelu = gelu;
    o.dropout = dropout;
    o.seed = static_cast<uint64_t>(seed);
    o.first_sample = first_sample;
    o.eps = eps;
    const Planes p(x, weight, bias, shift, residual, o);
    torch::Tensor mean, rstd;
    torch::Tensor y = fused_forward(p, &mean, &rstd);
    ctx->save_for_backward({p.x, p.weight, p.bias, shift, residual, mean, rstd});
    ctx->saved_data["gelu"] = gelu;
    ctx->saved_data["dropout"] = dropout;
    ctx->saved_data["seed"] = seed;
    ctx->saved_data["first_sample"] = first_sample;
    ctx->saved_data["eps"] = eps;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    NormActOptions o;
    o.gelu = ctx->saved_data["gelu"].toBool();
    o.dropout = ctx->saved_data["dropout"].toDouble();
    o.seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    o.first_sample = ctx->saved_data["first_sample"].toInt();
    o.eps = ctx->saved_data["eps"].toDouble();
    const Planes p(saved[0], saved[1], saved[2], saved[3], saved[4], o);
    const float* mean = saved[5].data_ptr<float>();
    const float* rstd = saved[6].data_ptr<float>();
    const torch::Tensor dy = grad[0].contiguous();
    torch::Tensor dx = torch::empty_like(p.x);
    torch::Tensor dres = p.residual.defined() ? torch::empty_like(p.x) : torch::Tensor();
    const int64_t planes = p.batch * p.channels;
    std::vector<double> sum_dz(static_cast<size_t>(planes)), sum_dz_xhat(static_cast<size_t>(planes));
    const float* dyp = dy.data_ptr<float>();
    float* dxp = dx.data_ptr<float>();
    float* dzp = dres.defined() ? dres.data_ptr<float>() : dxp;  // dz is written where it is needed, or over dx
    at::parallel_for(0, planes, p.grain(), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const int64_t off = i * p.plane;
        kernel::norm_act_backward(p.args(i), mean[i], rstd[i], dyp + off, dzp + off, dxp + off,
                                  &sum_dz[static_cast<size_t>(i)], &sum_dz_xhat[static_cast<size_t>(i)]);
      }
    });
    // Per-channel parameter gradients and the per-(sample, channel) shift gradient from the plane sums.
    torch::Tensor dweight = torch::zeros({p.channels}, torch::kDouble), dbias = torch::zeros({p.channels}, torch::kDouble);
    double* dw = dweight.data_ptr<double>();
    double* db = dbias.data_ptr<double>();
    for (int64_t i = 0; i < planes; ++i) {
      dw[i % p.channels] += sum_dz_xhat[static_cast<size_t>(i)];
      db[i % p.channels] += sum_dz[static_cast<size_t>(i)];
    }
    torch::Tensor dshift;
    if (p.shift.defined())
      dshift = torch::from_blob(sum_dz.data(), {p.batch, p.channels}, torch::kDouble).to(torch::kFloat).view(p.shift.sizes());
    return {dx, dweight.to(torch::kFloat), dbias.to(torch::kFloat), dshift, dres,
            torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool norm_act_uses_fused_kernel(const torch::Tensor& x, const NormActOptions& o) {
  return fused_enabled() && x.dim() >= 3 && is_cpu_float(x) && is_cpu_float(o.shift) && is_cpu_float(o.residual);
}

torch::Tensor norm_act_reference(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                                 const NormActOptions& o) {
  torch::Tensor z = torch::group_norm(x.to(weight.scalar_type()), x.size(1), weight, bias, o.eps);
  if (o.shift.defined()) {
    std::vector<int64_t> shape{x.size(0), x.size(1)};
    shape.resize(static_cast<size_t>(x.dim()), 1);
    z = z + o.shift.view(shape);
  }
  if (o.residual.defined()) z = z + o.residual;
  if (o.gelu) z = torch::gelu(z, "tanh");
  if (o.dropout > 0) z = z.is_cpu() ? hash_dropout(z, o.dropout, o.seed, o.first_sample) : torch::dropout(z, o.dropout, true);
  return z;
}

torch::Tensor norm_act(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                       const NormActOptions& o) {
  if (!norm_act_uses_fused_kernel(x, o) || !is_cpu_float(weight) || !is_cpu_float(bias))
    return norm_act_reference(x, weight, bias, o);
  const bool needs_graph = torch::GradMode::is_enabled() &&
                           (x.requires_grad() || weight.requires_grad() || bias.requires_grad() ||
                            (o.shift.defined() && o.shift.requires_grad()) ||
                            (o.residual.defined() && o.residual.requires_grad()));
  if (!needs_graph) {  // inference, or recycling's no-gradient pass: nothing saved
    torch::Tensor mean, rstd;
    return fused_forward(Planes(x, weight, bias, o.shift, o.residual, o), &mean, &rstd);
  }
  const torch::Tensor none = torch::empty({0}, x.options());
  return NormActFunction::apply(x, weight, bias, o.shift.defined() ? o.shift : none,
                                o.residual.defined() ? o.residual : none, o.gelu, o.dropout,
                                static_cast<int64_t>(o.seed), o.first_sample, o.eps);
}

}  // namespace diffseg::model
