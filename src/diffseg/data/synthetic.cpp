#include "diffseg/data/synthetic.h"

#include "diffseg/data/preprocess.h"

#include <cmath>
#include <numbers>
#include <string>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "diffseg/core/error.h"
#include "diffseg/core/progress.h"
#include "diffseg/core/seed.h"
#include "diffseg/data/tensor_image.h"
#include "diffseg/io/image_file.h"

namespace diffseg::data {
namespace fs = std::filesystem;
namespace F = torch::nn::functional;

namespace {

class CaseGenerator {
 public:
  CaseGenerator(const SyntheticOptions& o, int index)
      : o_(o), gen_(at::make_generator<at::CPUGeneratorImpl>(mix_seed(o.seed, static_cast<uint64_t>(index)))) {
    const bool three_d = o.dims == 3;
    shape_ = three_d ? std::vector<int64_t>{o.size[2], o.size[1], o.size[0]} : std::vector<int64_t>{o.size[1], o.size[0]};
    // Physical coordinates (mm) per axis in x, y, z order, broadcast over the (Z,) Y, X grid.
    const int n = o.dims;
    for (int a = 0; a < n; ++a) {
      const double sp = three_d ? o.spacing[a] : 1.0;
      std::vector<int64_t> view(static_cast<size_t>(n), 1);
      view[static_cast<size_t>(n - 1 - a)] = o.size[a];
      coords_.push_back((torch::arange(o.size[a], torch::kFloat) * sp).view(view));
      extent_.push_back(static_cast<double>(o.size[a]) * sp);
    }
  }

  SyntheticCase generate() {
    // Redraw until every class is visible (a blob may be hidden under later ones).
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto [label, intensity] = draw_layout();
      bool all_visible = true;
      const double min_voxels = 0.004 * static_cast<double>(label.numel());
      for (int c = 1; c <= o_.foreground_classes; ++c)
        all_visible &= (label == c).sum().item<double>() >= min_voxels;
      if (all_visible) return finish(label, intensity);
    }
    throw UsageError("synthetic data: could not place " + std::to_string(o_.foreground_classes) +
                     " visible structures; use fewer classes or a larger --size");
  }

 private:
  double uniform(double lo, double hi) { return lo + (hi - lo) * torch::rand({1}, gen_).item<double>(); }

  // Smooth zero-mean field with unit-ish amplitude: coarse Gaussian noise upsampled to the grid.
  torch::Tensor smooth_field(int64_t coarse) {
    std::vector<int64_t> low{1, 1};
    for (size_t i = 0; i < shape_.size(); ++i) low.push_back(coarse);
    torch::Tensor z = torch::randn(low, gen_);
    F::InterpolateFuncOptions::mode_t mode = torch::kBilinear;
    if (shape_.size() == 3) mode = torch::kTrilinear;
    auto opts = F::InterpolateFuncOptions().size(shape_).mode(mode).align_corners(true);
    return F::interpolate(z, opts).squeeze(0).squeeze(0);
  }

  // Rotation matrix (row-major, world ← local) for 2D or 3D.
  std::vector<std::vector<double>> rotation() {
    const double pi = std::numbers::pi;
    if (o_.dims == 2) {
      const double t = uniform(0, pi);
      return {{std::cos(t), -std::sin(t)}, {std::sin(t), std::cos(t)}};
    }
    const double a = uniform(0, 2 * pi), b = uniform(0, pi), c = uniform(0, 2 * pi);
    const double ca = std::cos(a), sa = std::sin(a), cb = std::cos(b), sb = std::sin(b), cc = std::cos(c),
                 sc = std::sin(c);
    // Rz(a) * Ry(b) * Rx(c)
    return {{ca * cb, ca * sb * sc - sa * cc, ca * sb * cc + sa * sc},
            {sa * cb, sa * sb * sc + ca * cc, sa * sb * cc - ca * sc},
            {-sb, cb * sc, cb * cc}};
  }

  std::pair<torch::Tensor, torch::Tensor> draw_layout() {
    const int n = o_.dims;
    const double background = 0.35;
    // Class mean offsets from the background; offset 0 makes a class visible only through its wall and texture.
    const double offsets[] = {0.30, -0.18, 0.0, 0.45, -0.10, 0.15};
    torch::Tensor label = torch::zeros(shape_, torch::kByte);
    torch::Tensor intensity = torch::full(shape_, background);
    const torch::Tensor order = torch::randperm(o_.foreground_classes, gen_);
    double min_extent = extent_[0];
    for (double e : extent_) min_extent = std::min(min_extent, e);

    for (int64_t k = 0; k < o_.foreground_classes; ++k) {
      const int c = static_cast<int>(order[k].item<int64_t>()) + 1;
      const auto rot = rotation();
      std::vector<torch::Tensor> local(static_cast<size_t>(n));
      std::vector<double> centre(static_cast<size_t>(n)), axes(static_cast<size_t>(n));
      for (int a = 0; a < n; ++a) {
        centre[a] = uniform(0.25, 0.75) * extent_[a];
        axes[a] = uniform(0.12, 0.26) * min_extent;
      }
      // local_i = sum_a R[a][i] * (x_a - centre_a)   (R^T applied to the offset)
      for (int i = 0; i < n; ++i) {
        torch::Tensor acc = torch::zeros(shape_);
        for (int a = 0; a < n; ++a) acc = acc + rot[a][i] * (coords_[a] - centre[a]);
        local[i] = acc;
      }
      const double p = uniform(1.6, 3.0);
      torch::Tensor d = torch::zeros(shape_);
      for (int i = 0; i < n; ++i) d = d + (local[i] / axes[i]).abs().pow(p);
      d = d.pow(1.0 / p) + 0.12 * smooth_field(4);
      const torch::Tensor inside = d < 1.0;
      const torch::Tensor wall = inside & (d > 0.8);
      const double mean = background + offsets[(c - 1) % 6];
      label.masked_fill_(inside, c);
      intensity.masked_fill_(inside, mean);
      intensity.masked_fill_(wall, mean - 0.2);
    }
    return {label, intensity};
  }

  torch::Tensor gaussian_blur(const torch::Tensor& x, double sigma) {
    const int64_t radius = 2;
    torch::Tensor k1 = torch::exp(-torch::arange(-radius, radius + 1, torch::kFloat).pow(2) / (2 * sigma * sigma));
    k1 = k1 / k1.sum();
    torch::Tensor out = x.unsqueeze(0).unsqueeze(0);
    const int64_t n = static_cast<int64_t>(shape_.size());
    for (int64_t axis = 0; axis < n; ++axis) {  // separable: one 1D pass per axis, replicate padding at edges
      std::vector<int64_t> kshape{1, 1};
      for (int64_t a = 0; a < n; ++a) kshape.push_back(a == axis ? 2 * radius + 1 : 1);
      std::vector<int64_t> pad(static_cast<size_t>(2 * n), 0);
      pad[static_cast<size_t>(2 * (n - 1 - axis))] = radius;
      pad[static_cast<size_t>(2 * (n - 1 - axis) + 1)] = radius;
      out = F::pad(out, F::PadFuncOptions(pad).mode(torch::kReplicate));
      out = n == 3 ? F::conv3d(out, k1.view(kshape)) : F::conv2d(out, k1.view(kshape));
    }
    return out.squeeze(0).squeeze(0);
  }

  SyntheticCase finish(const torch::Tensor& label, torch::Tensor img) {
    img = img * (1.0 + 0.08 * smooth_field(16));                   // texture
    img = gaussian_blur(img, 0.8);                                  // partial-volume blur
    img = img * torch::exp(o_.bias * smooth_field(3));              // scanner bias field
    const torch::Tensor n1 = torch::randn(shape_, gen_), n2 = torch::randn(shape_, gen_);
    img = torch::sqrt((img + o_.noise * n1).pow(2) + (o_.noise * n2).pow(2));  // Rician magnitude noise
    img = img.clamp(0.0, 1.0);

    io::Geometry g;
    if (o_.dims == 3) {
      g.spacing = o_.spacing;
      g.origin = {90.0, 120.0, -40.0};
      g.direction = {{{-1.0, 0.0, 0.0}, {0.0, -1.0, 0.0}, {0.0, 0.0, 1.0}}};  // LPS-stored scanner data, in RAS
    }
    return {to_image(img.contiguous(), o_.dims, g), to_image(label.contiguous(), o_.dims, g)};
  }

  const SyntheticOptions& o_;
  at::Generator gen_;
  std::vector<int64_t> shape_;
  std::vector<torch::Tensor> coords_;
  std::vector<double> extent_;
};

void validate(const SyntheticOptions& o) {
  if (o.dims != 2 && o.dims != 3) throw UsageError("synthetic data: --dims must be 2 or 3");
  if (o.cases < 1) throw UsageError("synthetic data: --cases must be at least 1");
  if (o.foreground_classes < 1 || o.foreground_classes > 20)
    throw UsageError("synthetic data: --classes must be between 1 and 20");
  for (int a = 0; a < o.dims; ++a)
    if (o.size[a] < 8) throw UsageError("synthetic data: every --size must be at least 8");
  if (o.validation_fraction < 0 || o.test_fraction < 0 || o.validation_fraction + o.test_fraction >= 1)
    throw UsageError("synthetic data: validation + test fractions must be in [0, 1)");
}

}  // namespace

SyntheticCase make_synthetic_case(const SyntheticOptions& options, int index) {
  validate(options);
  torch::NoGradGuard no_grad;
  return CaseGenerator(options, index).generate();
}

io::Dataset write_synthetic_dataset(const fs::path& out, const SyntheticOptions& options) {
  validate(options);
  io::Dataset d;
  d.root = out;
  d.name = "synthetic_" + std::to_string(options.dims) + "d";
  d.description = "diffseg synthetic data, seed " + std::to_string(options.seed);
  d.modalities = {"synthetic"};
  d.labels[0] = "background";
  for (int c = 1; c <= options.foreground_classes; ++c) d.labels[c] = "structure_" + std::to_string(c);

  const auto n_val = static_cast<int>(std::lround(options.cases * options.validation_fraction));
  const auto n_test = static_cast<int>(std::lround(options.cases * options.test_fraction));
  const int n_train = options.cases - n_val - n_test;
  const std::string ext = options.dims == 2 ? ".png" : ".nii.gz";

  Progress progress("synth", options.cases, "cases");
  for (int i = 0; i < options.cases; ++i) {
    SyntheticCase c = make_synthetic_case(options, i);
    char name[32];
    std::snprintf(name, sizeof name, "case_%03d", i);
    io::DatasetEntry e;
    e.id = name;
    e.images = {out / "imagesTr" / (std::string(name) + ext)};
    e.label = out / "labelsTr" / (std::string(name) + ext);
    if (options.dims == 2) {
      // 8-bit greyscale PNG, as ultrasound exports are.
      at::Tensor t = to_tensor(c.image).mul(255.0).round().to(torch::kByte);
      io::write_image(e.images.front(), to_image(t, 2, c.image.geometry()));
    } else {
      io::write_image(e.images.front(), c.image);
    }
    io::write_image(e.label, c.label);
    (i < n_train ? d.training : i < n_train + n_val ? d.validation : d.test).push_back(std::move(e));
    progress.advance();
  }
  progress.finish();
  d.preprocessing = PreprocessOptions{}.to_json();  // the images are as the model sees them: nothing to apply
  io::write_dataset(d);
  return d;
}

}  // namespace diffseg::data
