// compare_checkpoints A B TOLERANCE: compares two gan checkpoints for the MPI tests
// (tests/dist/mpi.sh).
//   TOLERANCE = 0: the same tensors with the same bits, and the same training state in
//                  the metadata (step, optimiser steps, noise generator): an exact resume.
//   TOLERANCE > 0: the same tensors, every parameter and Adam moment within TOLERANCE
//                  (absolute), and the same step count. BatchNorm running statistics
//                  ("running_*", "num_batches_tracked") are left out: they are buffers
//                  that each process computes from its own share.
// Prints the largest difference per group and exits 0 when the files agree, 1 when not,
// 2 when one cannot be read.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <gan/io.hpp>
#include <string>

namespace {

bool is_buffer(const std::string& name) {
  return name.find(".running_") != std::string::npos ||
         name.find(".num_batches_tracked") != std::string::npos;
}

gan::Tensor<float> read(const gan::SafetensorsFile& f, const std::string& name) {
  const std::vector<gan::index_t>& d = f.shape(name);
  gan::Tensor<float> t(d.size() == 1   ? gan::Shape{d[0]}
                       : d.size() == 2 ? gan::Shape{d[0], d[1]}
                       : d.size() == 3 ? gan::Shape{d[0], d[1], d[2]}
                                       : gan::Shape{d.at(0), d.at(1), d.at(2), d.at(3)});
  f.copy_to(name, t);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: compare_checkpoints A B TOLERANCE\n");
    return 2;
  }
  const double tolerance = std::atof(argv[3]);
  try {
    const gan::SafetensorsFile a = gan::load_safetensors(argv[1]);
    const gan::SafetensorsFile b = gan::load_safetensors(argv[2]);
    bool ok = a.names() == b.names();
    if (!ok) std::printf("different tensor names\n");
    double params = 0, moments = 0, buffers = 0;
    bool bits = true;
    for (const std::string& name : a.names()) {
      if (!ok) break;
      if (a.shape(name) != b.shape(name)) {
        std::printf("%s: different shapes\n", name.c_str());
        ok = false;
        break;
      }
      const gan::Tensor<float> x = read(a, name), y = read(b, name);
      double m = 0;
      for (gan::index_t i = 0; i < x.size(); ++i) {
        const double d = std::abs(static_cast<double>(x[i]) - static_cast<double>(y[i]));
        m = std::isnan(d) ? INFINITY : std::max(m, d);
      }
      if (std::memcmp(x.data(), y.data(), static_cast<std::size_t>(x.size()) * sizeof(float)))
        bits = false;
      double& group = is_buffer(name)                   ? buffers
                      : name.rfind("optimizer", 0) == 0 ? moments
                                                        : params;
      group = std::max(group, m);
    }
    const auto& ma = a.metadata();
    const auto& mb = b.metadata();
    auto same = [&](const std::string& key) {
      const auto i = ma.find(key), j = mb.find(key);
      return i != ma.end() && j != mb.end() && i->second == j->second;
    };
    std::printf("max |a - b|: parameters %.3g, Adam moments %.3g, buffers %.3g; %s bits\n", params,
                moments, buffers, bits ? "same" : "different");
    if (!same("step")) {
      std::printf("different step counts\n");
      ok = false;
    }
    if (tolerance == 0) {
      for (const auto& [key, value] : ma)
        if (!same(key)) {
          std::printf("metadata '%s' differs\n", key.c_str());
          ok = false;
        }
      ok = ok && bits;
    } else {
      ok = ok && params <= tolerance && moments <= tolerance;
    }
    std::printf("%s\n", ok ? "agree" : "DISAGREE");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_checkpoints: %s\n", e.what());
    return 2;
  }
}
