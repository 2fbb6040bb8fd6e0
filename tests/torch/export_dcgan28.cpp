// Writes dcgan28's weights, an input batch, and our forward outputs and gradients to a
// safetensors file, for scripts/torch_crosscheck.py to recompute in PyTorch:
//   export_dcgan28 <out.safetensors>
// In double precision, so that any difference beyond rounding is a real disagreement.
#include <cstdio>
#include <gan/gan.hpp>
#include <gan/io.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: export_dcgan28 <out.safetensors>\n");
    return 2;
  }
  using T = double;
  gan::manual_seed(7);
  auto g = gan::nets::dcgan28_generator<T>();
  auto d = gan::nets::dcgan28_discriminator<T>();
  gan::Rng rng(3);
  gan::dcgan_init(g.net(), rng);  // DCGAN init for G, PyTorch's default init for D
  gan::Tensor<T> z, x({5, 1, 28, 28}), grad;
  g.sample_noise(z, 5, rng);
  rng.fill_uniform(x);

  // The generator's non-saturating loss: BCE(D(G(z)), 1), gradients of G and D.
  const gan::Tensor<T> fake = g.forward(z);
  const gan::Tensor<T> score_fake = d.forward(fake);
  const T loss_g = gan::bce_loss(score_fake, T(1), grad);
  g.zero_grad();
  d.zero_grad();
  g.backward(d.backward(grad));
  const gan::Tensor<T> score_real = d.forward(x);

  std::vector<std::pair<std::string, const gan::Tensor<T>*>> out;
  std::vector<gan::Tensor<T>> grads;  // copies, so the pointers stay valid
  auto add = [&](const std::string& prefix, auto&& params) {
    for (auto& p : params) {
      out.emplace_back(prefix + p.name, &p.value);
      grads.push_back(p.grad);
    }
  };
  add("generator.", g.parameters());
  add("discriminator.", d.parameters());
  std::size_t i = 0;
  std::vector<std::pair<std::string, const gan::Tensor<T>*>> grad_entries;
  for (const auto& [name, _] : out) grad_entries.emplace_back("grad." + name, &grads[i++]);
  out.insert(out.end(), grad_entries.begin(), grad_entries.end());
  gan::Tensor<T> loss({1});
  loss[0] = loss_g;
  out.emplace_back("input.z", &z);
  out.emplace_back("input.x", &x);
  out.emplace_back("output.fake", &fake);
  out.emplace_back("output.score_fake", &score_fake);
  out.emplace_back("output.score_real", &score_real);
  out.emplace_back("output.loss_g", &loss);
  gan::save_safetensors<T>(argv[1], out, {{"model", "dcgan28"}});
  std::printf("wrote %s\n", argv[1]);
  return 0;
}
