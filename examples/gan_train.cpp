// gan_train: trains a GAN on MNIST-format data or a folder of images and writes sample
// grids, a log and checkpoints. With no arguments it trains the default model on the
// bundled 10,000 digits (data/mnist). docs/training.md describes every option and output;
// the training loop itself is the library's gan::run::TrainingRun.
// Ctrl-C (SIGINT) or SIGTERM saves OUT/checkpoints/latest.safetensors and exits with code
// 130 or 143.
// Bad input (data, options, checkpoint, output folder) prints one line and exits with 2.
// Built with -DGAN_WITH_MPI=ON, `mpirun -np N gan_train ...` trains data-parallel
// (common/distributed.hpp, docs/distributed.md).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <gan/io.hpp>
#include <gan/run/data_source.hpp>
#include <gan/run/training_run.hpp>

#include "common/distributed.hpp"
#include "common/models.hpp"
#include "common/progress.hpp"
#include "common/source_path.hpp"

namespace {

volatile std::sig_atomic_t interrupted = 0;
extern "C" void on_interrupt(int signal) { interrupted = signal; }

/// The bundled digits: data/mnist in the source tree this program was built from, else
/// ./data/mnist.
/// A resumed run keeps the options saved in its checkpoint; one given on the command line
/// that disagrees with them is refused rather than silently ignored.
/// --conditioning auto makes no choice of its own, so it agrees with what auto picks for the
/// saved model (which is what a run started with auto saved).
void refuse_conflicts(const CLI::App& app, gan::run::RunOptions given,
                      const gan::run::RunOptions& saved, const gan::models::Registry& registry) {
  if (given.conditioning == "auto") {
    gan::run::RunOptions probe = saved;
    probe.conditioning = "auto";
    given.conditioning = gan::run::resolved_conditioning(probe, registry);
  }
  const auto ours = gan::run::to_json(given), theirs = gan::run::to_json(saved);
  for (const auto& [key, value] : theirs.items()) {
    std::string option = "--" + key;
    std::replace(option.begin(), option.end(), '_', '-');
    if (key == "epochs" || app.count(option) == 0 || ours[key] == value) continue;
    const std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    throw gan::Error(option + " conflicts with the checkpoint's " + shown +
                     " (a resumed run keeps its saved options; leave " + option + " out)");
  }
  if (app.count("--lr") && (given.lr_g != saved.lr_g || given.lr_d != saved.lr_d))
    throw gan::Error("--lr conflicts with the checkpoint's learning rates (leave --lr out)");
}

}  // namespace

int main(int argc, char** argv) {
  programs::Distributed dist(argc, argv);
  if (!dist.refusal().empty()) {
    if (dist.speaks()) std::fprintf(stderr, "gan_train: error: %s\n", dist.refusal().c_str());
    return 2;
  }
  gan::run::RunOptions o;
  o.data = source_path("data/mnist");
  o.eval_weights = source_path("data/eval/digit_classifier.safetensors");
  const auto& registry = programs::models();
  CLI::App app{
      "gan_train: train a GAN on MNIST-format data or a folder of images (docs/training.md)"};
  app.option_defaults()->always_capture_default();
  double lr = 0;  // only read when --lr is given
  app.add_option("--data", o.data, "IDX images file, a folder holding one, or a folder of images");
  app.add_option("--model", o.model, "model: " + registry.names());
  app.add_option("--image-size", o.image_size, "image size (0: the model's)");
  app.add_option("--channels", o.channels, "1 (grey) or 3 (colour); 0: the data's");
  app.add_option("--width", o.width, "feature maps of dcgan32/dcgan64 (ngf = ndf; 0: 64)");
  app.add_option("--z-dim", o.z_dim, "noise dimensions");
  app.add_option("--loss", o.loss, "bce | ns (bce on logits) | lsgan | hinge");
  app.add_option("--recon", o.recon, "weight of MSE(G(z), x) in G's loss (any loss)");
  app.add_option(
      "--augment", o.augment,
      "DiffAugment policy of D's inputs, e.g. translation,cutout or color,translation,cutout");
  app.add_option("--ema", o.ema, "decay of the generator's moving average, e.g. 0.999 (0: off)");
  bool spectral_norm = false;
  auto* spectral_norm_flag =
      app.add_flag("--spectral-norm,!--no-spectral-norm", spectral_norm,
                   "spectral norm on D's layers (Miyato et al. 2018); default: on for a "
                   "conditional run with a projection D, else off");
  app.add_flag("--conditional", o.conditional, "condition G and D on the class label");
  app.add_option("--conditioning", o.conditioning,
                 "how a conditional D takes the class: auto (projection where the model has "
                 "it) | projection | planes");
  app.add_option("--epochs", o.epochs, "passes over the data");
  app.add_option("--batch", o.batch, "images per step");
  app.add_option("--lr", lr, "one Adam learning rate for G and D (unset: --lr-g and --lr-d)")
      ->default_str("");
  app.add_option("--lr-g", o.lr_g, "Adam learning rate of G; --lr when given");
  app.add_option("--lr-d", o.lr_d,
                 "Adam learning rate of D; default: twice G's (TTUR), G's for a conditional run; "
                 "--lr when given")
      ->default_str("auto");
  app.add_option("--d-steps", o.d_steps, "discriminator steps per generator step");
  app.add_option("--label-smoothing", o.label_smoothing, "one-sided: D's real target is 1 - this");
  app.add_option("--discriminators", o.discriminators,
                 "K discriminators (GMAN; docs/multi_discriminator.md)");
  app.add_option("--d-variants", o.d_variants,
                 "each discriminator's net (one for all): model | half");
  app.add_option("--d-attacks", o.d_attacks,
                 "each one's training attack (one for all): none | noise:S | fgsm:E | pgd:E,N,A");
  app.add_option("--aggregate", o.aggregate,
                 "G's combination of the K losses: mean | max | softmean:L | auto");
  app.add_option("--seed", o.seed, "seed of weights, noise and data order")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{(1ULL << 63) - 1}));
  app.add_option("--threads", o.threads,
                 "threads; 0: measured during the run, up to OMP_NUM_THREADS or all cores");
  app.add_option("--out", o.out, "output folder");
  app.add_option("--sample-every", o.sample_every, "steps between sample grids and checkpoints");
  app.add_option("--resume", o.resume, "checkpoint to continue from (its run options are kept)");
  app.add_option("--eval-every", o.eval_every,
                 "steps between FID evaluations (-1: with every grid, 0: off; docs/eval.md)");
  app.add_option("--eval-samples", o.eval_samples, "samples per evaluation");
  app.add_option("--eval-weights", o.eval_weights, "the evaluation classifier's weights");
  bool no_report = false;
  app.add_flag("--no-report", no_report, "do not write OUT/report.html");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return dist.speaks() ? app.exit(e) : 0;
  } catch (const CLI::ParseError& e) {
    if (dist.speaks()) std::fprintf(stderr, "gan_train: error: %s\n", e.what());
    return 2;
  }

  o.report = !no_report;
  if (spectral_norm_flag->count() > 0) o.spectral_norm = spectral_norm ? 1 : 0;
  std::string resume_note;  // when the checkpoint's job had another number of processes
  try {
    if (app.count("--lr")) {
      if (!app.count("--lr-g")) o.lr_g = lr;
      if (!app.count("--lr-d")) o.lr_d = lr;
    }
    if (!o.resume.empty()) {
      const auto file = gan::load_safetensors(o.resume);
      const auto run = file.metadata().find("gan.run");
      if (run == file.metadata().end())
        throw gan::Error("checkpoint '" + o.resume + "' was not written by gan_train (no gan.run)");
      const gan::run::RunOptions given = o;
      gan::run::adopt_saved(o, run->second, o.resume);
      refuse_conflicts(app, given, o, registry);
      resume_note = dist.resume_note(file.metadata());
    }
    gan::run::validate(o, registry);
    if (o.threads > 0) gan::set_num_threads(o.threads);
    if (o.threads == 0 && dist.size() > 1)
      gan::set_num_threads(dist.default_threads(gan::num_threads()));
    gan::data::ImageSet images = gan::run::load_training_data(o, registry);
    gan::run::TrainingRun run(o, registry, std::move(images), dist.run_parallel());
    dist.setup_done();
    std::FILE* say = dist.speaks() ? stderr : dist.silent();  // process 0 speaks for the job
    std::fprintf(say, "gan_train: %s; model %s%s, loss %s, %d epochs of batch %d, %s%d threads\n",
                 run.data().describe().c_str(), run.spec().describe().c_str(),
                 o.conditional ? " (conditional)" : "", o.loss.c_str(), o.epochs, o.batch,
                 o.threads == 0 ? "up to " : "", gan::num_threads());
    if (o.discriminators > 1 || o.d_attacks != "none")
      std::fprintf(say, "%d discriminators (%s), attacks %s, aggregate %s\n", o.discriminators,
                   o.d_variants.c_str(), o.d_attacks.c_str(), o.aggregate.c_str());
    if (dist.size() > 1) std::fprintf(say, "%s\n", dist.describe(o.batch).c_str());
    if (!o.resume.empty())
      std::fprintf(say, "resumed from %s at step %lld\n", o.resume.c_str(),
                   static_cast<long long>(run.trainer().steps()));
    if (!resume_note.empty()) std::fprintf(say, "%s\n", resume_note.c_str());
    ProgressBar bar(50);
    gan::run::RunHooks hooks;
    if (dist.speaks()) hooks.progress = [&](const gan::run::Progress& p) { bar.update(p); };
    hooks.stop_requested = [&] { return dist.any(interrupted != 0); };
    hooks.message = [&](const std::string& m) {
      bar.finish();
      std::fprintf(say, "%s\n", m.c_str());
    };
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    const auto started = std::chrono::steady_clock::now();
    const int code = run.train(hooks);
    const std::string comm = dist.communication(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (!comm.empty()) std::fprintf(say, "%s\n", comm.c_str());
    // Stopped by SIGTERM: the conventional 128 + 15; Ctrl-C gives 130.
    return code == 130 && interrupted == SIGTERM ? 143 : code;
  } catch (const std::exception& e) {
    return dist.fail(e, "gan_train");
  }
}
