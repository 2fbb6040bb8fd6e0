// Built against an installed gan with gan::io: writes and reads back a safetensors file.
#include <cstdio>
#include <gan/gan.hpp>
#include <gan/io.hpp>

int main() {
  gan::Tensor<float> t({3});
  t[1] = 2.5f;
  gan::save_safetensors<float>("consumer.safetensors", {{"t", &t}});
  gan::Tensor<float> back({3});
  gan::load_safetensors("consumer.safetensors").copy_to("t", back);
  std::printf("consumer_io: read back %g\n", back[1]);
  return back[1] == 2.5f ? 0 : 1;
}
