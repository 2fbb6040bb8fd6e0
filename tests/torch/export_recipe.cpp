// Writes SpectralNorm and DiffAugment inputs, parameters, outputs and gradients to a
// safetensors file, for scripts/recipe_crosscheck.py to recompute in PyTorch:
//   export_recipe <out.safetensors>
// In double precision, so that any difference beyond rounding is a real disagreement. The
// loss is L = sum(y * dy) for a random dy, so backward(dy) gives dL/dx and the gradients.
#include <cstdio>
#include <deque>
#include <gan/gan.hpp>
#include <gan/io.hpp>

namespace {

using T = double;
using Entries = std::vector<std::pair<std::string, const gan::Tensor<T>*>>;

// Tensors that must stay alive until the file is written.
std::deque<gan::Tensor<T>> kept;

const gan::Tensor<T>* keep(const gan::Tensor<T>& t) { return &kept.emplace_back(t); }

gan::Tensor<T> random_tensor(const gan::Shape& s, gan::Rng& rng) {
  gan::Tensor<T> t(s);
  rng.fill_uniform(t, -1, 1);
  return t;
}

template <class Layer>
void export_spectral_norm(const std::string& prefix, Layer layer, const gan::Shape& in,
                          gan::Rng& rng, Entries& out) {
  for (auto& p : layer.parameters()) out.emplace_back(prefix + "init." + p.name, keep(p.value));
  for (auto& b : layer.buffers()) out.emplace_back(prefix + "init." + b.name, keep(b.value));
  const gan::Tensor<T>* x = keep(random_tensor(in, rng));
  const gan::Tensor<T>* dy = keep(random_tensor(layer.output_shape(in), rng));
  out.emplace_back(prefix + "x", x);
  out.emplace_back(prefix + "dy", dy);
  layer.train();
  out.emplace_back(prefix + "y", keep(layer.forward(*x)));
  layer.zero_grad();
  out.emplace_back(prefix + "dx", keep(layer.backward(*dy)));
  for (auto& p : layer.parameters()) out.emplace_back(prefix + "grad." + p.name, keep(p.grad));
  for (auto& b : layer.buffers()) out.emplace_back(prefix + b.name, keep(b.value));
  layer.eval();
  out.emplace_back(prefix + "y_eval", keep(layer.forward(*x)));
}

template <class V>
const gan::Tensor<T>* as_tensor(const V& v) {
  gan::Tensor<T> t({static_cast<gan::index_t>(v.size())});
  for (std::size_t i = 0; i < v.size(); ++i) t[static_cast<gan::index_t>(i)] = static_cast<T>(v[i]);
  return keep(t);
}

void export_augment(const std::string& prefix, const gan::Shape& in, gan::Rng& rng, Entries& out) {
  gan::DiffAugment<T> aug("color,translation,cutout");
  const gan::Tensor<T>* x = keep(random_tensor(in, rng));
  const gan::Tensor<T>* dy = keep(random_tensor(in, rng));
  out.emplace_back(prefix + "x", x);
  out.emplace_back(prefix + "dy", dy);
  out.emplace_back(prefix + "y", keep(aug.forward(*x, rng)));
  out.emplace_back(prefix + "dx", keep(aug.backward(*dy)));
  const auto& d = aug.last_draw();
  out.emplace_back(prefix + "brightness", as_tensor(d.brightness));
  out.emplace_back(prefix + "saturation", as_tensor(d.saturation));
  out.emplace_back(prefix + "contrast", as_tensor(d.contrast));
  out.emplace_back(prefix + "shift_h", as_tensor(d.shift_h));
  out.emplace_back(prefix + "shift_w", as_tensor(d.shift_w));
  // The reference draws the cutout's centre offset; ours is its top-left corner.
  std::vector<gan::index_t> oh, ow;
  for (gan::index_t t : d.cut_top) oh.push_back(t + d.cut_h / 2);
  for (gan::index_t t : d.cut_left) ow.push_back(t + d.cut_w / 2);
  out.emplace_back(prefix + "offset_h", as_tensor(oh));
  out.emplace_back(prefix + "offset_w", as_tensor(ow));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: export_recipe <out.safetensors>\n");
    return 2;
  }
  gan::manual_seed(11);
  gan::Rng rng(12);
  Entries out;
  export_spectral_norm("dense.", gan::spectral_norm(gan::Dense<T>(7, 5)), {3, 7}, rng, out);
  export_spectral_norm("conv.", gan::spectral_norm(gan::Conv2d<T>(3, 4, 3, 2, 1)), {2, 3, 7, 9},
                       rng, out);
  export_spectral_norm("convt.", gan::spectral_norm(gan::ConvTranspose2d<T>(3, 2, 4, 2, 1)),
                       {2, 3, 4, 5}, rng, out);
  export_augment("augment3.", {3, 3, 9, 11}, rng, out);
  export_augment("augment1.", {2, 1, 28, 28}, rng, out);
  gan::save_safetensors<T>(argv[1], out, {{"contents", "recipe"}});
  std::printf("wrote %s (%zu tensors)\n", argv[1], out.size());
  return 0;
}
