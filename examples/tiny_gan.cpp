// The README's 20-line example: a tiny GAN learns to draw a bright diagonal.
#include <cstdio>
#include <gan/gan.hpp>

int main() {
  using namespace gan;
  // G: 8-d noise -> a 1x4x4 "image"; D: image -> probability that it is real.
  Generator g(Sequential{Dense<float>(8, 32), LeakyReLU<float>(0.2f), Dense<float>(32, 16),
                         Sigmoid<float>(), Reshape<float>({1, 4, 4})},
              /*z_dim*/ 8);
  Discriminator d(Sequential{Flatten<float>(), Dense<float>(16, 32), LeakyReLU<float>(0.2f),
                             Dense<float>(32, 1), Sigmoid<float>()});
  Trainer trainer(g, d);  // BCE, Adam(2e-4, 0.5, 0.999)

  Tensor<float> real({16, 1, 4, 4});  // "real" data: a bright diagonal
  for (index_t n = 0; n < 16; ++n)
    for (index_t i = 0; i < 4; ++i) real(n, 0, i, i) = 1.0f;
  for (int step = 1; step <= 500; ++step) {
    StepStats s = trainer.step(real);
    if (step % 100 == 0)
      std::printf("step %d  D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f\n", step, s.d_loss, s.g_loss,
                  s.d_real, s.d_fake);
  }
}
