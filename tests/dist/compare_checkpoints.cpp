// compare_checkpoints A B MAX [RMS]: compares two gan checkpoints for the MPI tests
// (tests/dist/mpi.sh).
//   MAX = 0: the same tensors with the same bits, and the same metadata (step, optimiser
//            steps, noise generator, options): an exact resume.
//   MAX > 0: the same tensors and step count, every parameter within MAX of the other's
//            (absolute) and the root mean square of the parameters' differences within
//            RMS. BatchNorm running statistics ("running_*", "num_batches_tracked") are
//            left out: they are buffers that each process computes from its own share.
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
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: compare_checkpoints A B MAX [RMS]\n");
    return 2;
  }
  const double tolerance = std::atof(argv[3]);
  const double rms_tolerance = argc == 5 ? std::atof(argv[4]) : tolerance;
  try {
    const gan::SafetensorsFile a = gan::load_safetensors(argv[1]);
    const gan::SafetensorsFile b = gan::load_safetensors(argv[2]);
    bool ok = a.names() == b.names();
    if (!ok) std::printf("different tensor names\n");
    double params = 0, moments = 0, buffers = 0, square_sum = 0;
    gan::index_t count = 0;
    std::string worst;  // the parameter with the largest difference
    bool bits = true;
    for (const std::string& name : a.names()) {
      if (!ok) break;
      if (a.shape(name) != b.shape(name)) {
        std::printf("%s: different shapes\n", name.c_str());
        ok = false;
        break;
      }
      const gan::Tensor<float> x = read(a, name), y = read(b, name);
      const bool parameter = !is_buffer(name) && name.rfind("optimizer", 0) != 0;
      double m = 0;
      for (gan::index_t i = 0; i < x.size(); ++i) {
        const double d = std::abs(static_cast<double>(x[i]) - static_cast<double>(y[i]));
        m = std::isnan(d) ? INFINITY : std::max(m, d);
        if (parameter) square_sum += d * d;
      }
      if (parameter) count += x.size();
      if (parameter && m > params) worst = name;
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
    const double rms = count > 0 ? std::sqrt(square_sum / static_cast<double>(count)) : 0;
    std::printf(
        "max |a - b|: parameters %.3g (%s; rms %.3g), Adam moments %.3g, buffers %.3g; %s bits\n",
        params, worst.empty() ? "-" : worst.c_str(), rms, moments, buffers,
        bits ? "same" : "different");
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
      ok = ok && params <= tolerance && rms <= rms_tolerance;
    }
    std::printf("%s\n", ok ? "agree" : "DISAGREE");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_checkpoints: %s\n", e.what());
    return 2;
  }
}
