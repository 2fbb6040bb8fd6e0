// Fuzz target: load_safetensors on arbitrary file contents, then every tensor that can be
// copied into a Tensor (F32 or F64, rank <= 4) is copied in both precisions, and load_into
// is asked for every tensor at once.
// Contract under test: a file loads or throws gan::Error with a bounded message; a loaded
// file's tensors lie inside it (ASan checks the copies), and only finite values come out.

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <list>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "gan/io/safetensors.hpp"

namespace {

gan::Shape shape_of(const std::vector<gan::index_t>& d) {
  switch (d.size()) {
    case 0:
      return gan::Shape{};
    case 1:
      return gan::Shape{d[0]};
    case 2:
      return gan::Shape{d[0], d[1]};
    case 3:
      return gan::Shape{d[0], d[1], d[2]};
    default:
      return gan::Shape{d[0], d[1], d[2], d[3]};
  }
}

template <class T>
void copy_all(const gan::SafetensorsFile& f) {
  std::list<gan::Tensor<T>> storage;
  std::vector<std::pair<std::string, gan::Tensor<T>*>> targets;
  for (const std::string& name : f.names()) {
    const std::vector<gan::index_t>& dims = f.shape(name);
    if (dims.size() > 4) continue;
    try {
      gan::Tensor<T> t(shape_of(dims));
      f.copy_to(name, t);
      for (T v : t)
        if (!std::isfinite(v)) std::abort();
      storage.push_back(std::move(t));
      targets.emplace_back(name, &storage.back());
    } catch (const gan::Error& e) {
      gan_fuzz::check_message(e);
    }
  }
  try {
    gan::load_into<T>(f, targets);
  } catch (const gan::Error& e) {
    gan_fuzz::check_message(e, 1 << 16);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = gan_fuzz::as_file(data, size, ".safetensors");
  try {
    const gan::SafetensorsFile f = gan::load_safetensors(path);
    copy_all<float>(f);
    copy_all<double>(f);
  } catch (const gan::Error& e) {
    gan_fuzz::check_message(e);
  }
  return 0;
}
