// Built against an installed gan: find_package(gan) + target_link_libraries(gan::gan).
#include <cstdio>
#include <gan/gan.hpp>

int main() {
  gan::Tensor<float> x({2, 3});
  x.fill(1.0f);
  gan::Rng rng(42);
  rng.fill_normal(x);
  std::printf("consumer: built against installed gan, %td elements\n", x.size());
  return x.size() == 6 ? 0 : 1;
}
