// gan_train_classifier: trains the evaluation classifier (gan/eval/classifier.hpp) whose
// features the sample-quality metrics use, and writes its weights as safetensors.
//
//   gan_train_classifier                                   # bundled digits: first 8000
//                                                          # train, last 2000 held out
//   gan_train_classifier --data /usr/share/datasets/fashion-mnist
//       --test /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
//       --class-names "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Ankle boot"
//       --out data/eval/fashion_classifier.safetensors          (one command line)
// data/eval/README.md records the commands that made the committed weights. The file's
// metadata records the command, data, split, seed, threads and held-out accuracy.
// Bad input prints one line and exits with 2.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <gan/data/idx_dataset.hpp>
#include <gan/eval/train_classifier.hpp>
#include <gan/gan.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

namespace {

struct Options {
  std::string data;
  std::string test;
  int train_count = 8000;
  std::string out = "digit_classifier.safetensors";
  std::string class_names;
  int epochs = 30;
  int batch = 64;
  double lr = 1e-3;
  double shift = 2;
  double rotation = 10;
  double scale = 0.1;
  std::uint64_t seed = 0;
  int threads = 0;
};

/// The bundled digits: data/mnist in the source tree this program was built from, else
/// ./data/mnist.
std::string default_data() {
  const std::filesystem::path built_from = std::filesystem::path(GAN_SOURCE_DIR) / "data" / "mnist";
  std::error_code ec;
  return std::filesystem::is_directory(built_from, ec) ? built_from.string() : "data/mnist";
}

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string name; std::getline(in, name, ',');) out.push_back(name);
  return out;
}

std::string command_line(int argc, char** argv) {
  std::string s = "gan_train_classifier";
  for (int i = 1; i < argc; ++i) s += std::string(" ") + argv[i];
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  o.data = default_data();
  CLI::App app{"gan_train_classifier: train the classifier behind gan_eval's metrics"};
  app.option_defaults()->always_capture_default();
  app.add_option("--data", o.data, "labelled IDX images file or a folder holding one");
  app.add_option("--test", o.test,
                 "labelled IDX set held out (then all of --data trains); default: the images "
                 "of --data after --train-count");
  app.add_option("--train-count", o.train_count,
                 "without --test: the first N images of --data train, the rest are held out");
  app.add_option("--out", o.out, "weights file to write (.safetensors)");
  app.add_option("--class-names", o.class_names, "comma-separated class names to record");
  app.add_option("--epochs", o.epochs, "passes over the training images");
  app.add_option("--batch", o.batch, "images per step");
  app.add_option("--lr", o.lr, "Adam's initial learning rate (cosine decay to 0)");
  app.add_option("--shift", o.shift, "augmentation: random shift of up to this many pixels");
  app.add_option("--rotation", o.rotation,
                 "augmentation: random rotation of up to this many degrees");
  app.add_option("--scale", o.scale, "augmentation: random scaling by 1 +- up to this");
  app.add_option("--seed", o.seed, "seed of the initial weights, batch order and shifts");
  app.add_option("--threads", o.threads, "threads (0: OMP_NUM_THREADS or all cores)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "gan_train_classifier: error: %s\n", e.what());
    return 2;
  }
  try {
    if (o.threads < 0) throw gan::Error("--threads must be >= 0, got " + std::to_string(o.threads));
    if (o.threads > 0) gan::set_num_threads(o.threads);
    const gan::data::ImageSet all = gan::data::load_idx_dataset(o.data);
    if (!all.labelled()) throw gan::Error("'" + all.source + "' has no labels file beside it");
    gan::data::ImageSet train, held_out;
    std::string split;
    if (o.test.empty()) {
      std::tie(train, held_out) = gan::eval::split(all, o.train_count);
      split = "first " + std::to_string(train.count) + " of " + all.source + " train, last " +
              std::to_string(held_out.count) + " held out";
    } else {
      train = all;
      held_out = gan::data::load_idx_dataset(o.test);
      if (!held_out.labelled())
        throw gan::Error("'" + held_out.source + "' has no labels file beside it");
      split = "all " + std::to_string(train.count) + " of " + train.source + " train, " +
              std::to_string(held_out.count) + " of " + held_out.source + " held out";
    }
    const auto names = split_names(o.class_names);
    const gan::index_t classes = std::max<gan::index_t>(10, train.classes());
    if (!names.empty() && static_cast<gan::index_t>(names.size()) != classes)
      throw gan::Error("--class-names has " + std::to_string(names.size()) + " names for " +
                       std::to_string(classes) + " classes");

    gan::eval::ClassifierTrainingOptions t;
    t.epochs = o.epochs;
    t.batch = o.batch;
    t.lr = o.lr;
    t.max_shift = o.shift;
    t.max_rotation = o.rotation;
    t.max_scale = o.scale;
    t.seed = o.seed;
    gan::manual_seed(o.seed);
    gan::eval::Classifier<float> net(classes);
    std::fprintf(stderr, "gan_train_classifier: %s; %d epochs of batch %d, %d threads\n",
                 split.c_str(), o.epochs, o.batch, gan::num_threads());
    const auto start = std::chrono::steady_clock::now();
    double final_accuracy = 0;
    gan::eval::train_classifier<float>(net, train, held_out, t, [&](const auto& e) {
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "epoch %2lld  loss %.4f  train %.2f %%  held out %.2f %%  %.0f s\n",
                   static_cast<long long>(e.epoch), e.loss, 100 * e.train_accuracy,
                   100 * e.held_out_accuracy, s);
      final_accuracy = e.held_out_accuracy;
    });
    // Features of real training images then have mean square 1 (classifier.hpp).
    net.set_feature_scale(1 / gan::eval::feature_rms(net, train));
    char accuracy[32];
    std::snprintf(accuracy, sizeof accuracy, "%.4f", final_accuracy);
    std::map<std::string, std::string> meta{
        {"gan.eval.command", command_line(argc, argv)},
        {"gan.eval.split", split},
        {"gan.eval.seed", std::to_string(o.seed)},
        {"gan.eval.epochs", std::to_string(o.epochs)},
        {"gan.eval.threads", std::to_string(gan::num_threads())},
        {"gan.eval.held_out_accuracy", accuracy}};
    if (!names.empty()) meta["gan.eval.class_names"] = nlohmann::json(names).dump();
    net.save(o.out, meta);
    std::printf("held-out accuracy %.2f %% (%lld images), feature scale %.4g; wrote %s\n",
                100 * final_accuracy, static_cast<long long>(held_out.count), net.feature_scale(),
                o.out.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_train_classifier: error: %s\n", e.what());
    return 2;
  }
}
