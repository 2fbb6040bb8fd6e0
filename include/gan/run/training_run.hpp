#pragma once
/// TrainingRun: a whole training run as the gan_train program does it — data, model,
/// trainer, resume, sample grids, log and checkpoints — for programs that only parse flags.
///
///   gan::run::TrainingRun run(options, gan::models::builtin_models(), std::move(images));
///   int code = run.train(hooks);   // 0 when done, 130 when hooks.stop_requested() said so
///
/// Files under options.out:
///   samples/step_NNNNNN.png, samples/final.png  fixed-noise grids (rows are classes when
///                                               conditional), every sample_every steps,
///                                               drawn from the EMA generator when --ema
///   checkpoints/latest.safetensors, checkpoints/final.safetensors   (atomic writes)
///   log.csv                                     step, epoch, losses, D(x), D(G(z)), images/s,
///                                               and FID, KID at the steps evaluated
///   eval.csv                                    FID, KID, precision, recall... beside their
///                                               floors, every eval_every steps (run_eval.hpp)
///                                               (resumed, both keep only the rows up to the
///                                               checkpoint's step: run_log.hpp)
///   checkpoints/best.safetensors                the checkpoint of the lowest FID so far
///   report.html                                 the run's report (io/report.hpp), rewritten
///                                               with every grid and at the end
/// A checkpoint holds the trainer's state, the model's identity (registry.hpp), the data
/// order's identity (epoch_order.hpp), the run options ("gan.run", run_options.hpp) and the
/// class names ("gan.class_names", a JSON list). Resuming checks all of them against the
/// data and options given, so a run resumes exactly or is refused with one line.
/// In a data-parallel job (run_parallel.hpp) every process builds the same run, trains on
/// its share of each batch, and process 0 alone writes the files.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gan/core/parallel.hpp"
#include "gan/data/batcher.hpp"
#include "gan/io/checkpoint.hpp"
#include "gan/io/report.hpp"
#include "gan/models/registry.hpp"
#include "gan/models/trainer.hpp"
#include "gan/models/variants.hpp"
#include "gan/run/run_eval.hpp"
#include "gan/run/run_log.hpp"
#include "gan/run/run_options.hpp"
#include "gan/run/run_parallel.hpp"
#include "gan/run/sampling.hpp"
#include "gan/run/thread_tuner.hpp"

namespace gan::run {

/// What a run reports after each step.
struct Progress {
  std::int64_t step = 0, total = 0;    ///< steps done, of total
  std::int64_t epoch = 0, epochs = 0;  ///< 1-based
  StepStats stats;
  double images_per_s = 0;  ///< smoothed
  double eta_s = 0;
  int threads = 0;                ///< of the last step
  double fid = 0, fid_floor = 0;  ///< of the last evaluation (0: none yet)
};

struct RunHooks {
  std::function<void(const Progress&)> progress;    ///< after every step
  std::function<bool()> stop_requested;             ///< polled after every step
  std::function<void(const std::string&)> message;  ///< one-line status messages
};

/// The model spec of a run: the options' shape, completed from the data's where unset.
inline models::ModelSpec model_spec(const RunOptions& o, const data::ImageSet& set,
                                    const models::Registry& registry) {
  const models::ModelEntry& e = registry.find(o.model);
  models::ModelSpec s;
  s.model = o.model;
  s.image_size = o.image_size > 0 ? o.image_size : e.sizes.front();
  s.channels = o.channels > 0 ? o.channels : set.channels;
  s.classes = o.conditional ? set.classes() : 0;
  s.z_dim = o.z_dim;
  s.width = o.width;
  s.d_output = discriminator_output(o.loss);
  s.projection = o.conditional && resolved_conditioning(o, registry) == "projection";
  s.spectral_norm = o.spectral_norm == 1 || (o.spectral_norm == -1 && s.projection);
  s.seed = o.seed;
  s = registry.complete(s);
  if (set.channels != s.channels || set.height != s.image_size || set.width != s.image_size)
    throw Error("data: " + set.describe() + ", but model " + s.model + " makes " +
                std::to_string(s.channels) + "x" + std::to_string(s.image_size) + "x" +
                std::to_string(s.image_size) + " images");
  return s;
}

class TrainingRun {
 public:
  /// Grids and evaluations draw at most this many samples per generator call. With an EMA
  /// the sampler is a network of its own, whose buffers are sized by its largest call: 16
  /// samples keep them at a quarter of a 64-image batch's, and in eval mode the images do
  /// not depend on the chunk (tests/run/training_run.cpp).
  static constexpr index_t sample_chunk = 16;

  /// Builds the model and the trainer (and restores options.resume, if set), then creates
  /// the output folders; the data set is the run's own. Throws gan::Error for anything
  /// inconsistent, before writing anything.
  TrainingRun(const RunOptions& options, const models::Registry& registry, data::ImageSet set,
              RunParallel parallel = {})
      : o_(options), set_(std::move(set)), parallel_(std::move(parallel)) {
    validate(o_, registry);
    if (o_.conditional && !set_.labelled())
      throw Error("--conditional needs labels: '" + set_.source +
                  "' has none (an IDX file needs its labels file beside it, an image folder "
                  "one sub-folder per class)");
    spec_ = model_spec(o_, set_, registry);
    model_ = registry.make(spec_);
    spec_ = model_.spec;
    o_.conditioning = resolved_conditioning(o_, registry);
    if (o_.spectral_norm == -1) o_.spectral_norm = spec_.spectral_norm ? 1 : 0;
    o_.lr_d = resolved_lr_d(o_);
    batches_ = std::make_unique<data::Batcher>(set_, o_.batch, o_.seed, model_.range);
    discriminators_ =
        models::make_discriminators(registry, spec_, static_cast<std::size_t>(o_.discriminators),
                                    models::parse_variants(o_.d_variants), *model_.discriminator);
    trainer_ = std::make_unique<Trainer<float>>(*model_.generator, discriminators_.all,
                                                trainer_options(o_, model_.range));
    if (o_.ema > 0) {
      shadow_ = registry.make(spec_).generator;
      EmaOptions ema;
      ema.decay = o_.ema;
      ema.warmup = true;  // early steps average over fewer steps (ema.hpp): short runs too
      trainer_->set_ema(*shadow_, ema);
    }
    share_ = batch_share(o_.batch, parallel_.rank, parallel_.size);
    if (parallel_.size > 1) {
      parallel_.trainer.global_batch = o_.batch;
      parallel_.trainer.first = share_.first;
      parallel_.trainer.count = share_.count;
      trainer_->set_data_parallel(parallel_.trainer);
    }
    if (!o_.resume.empty()) resume(o_.resume);
    if (parallel_.writer()) {
      prepare_output();
      eval_ = RunEvaluation(o_, spec_, set_);
    }
  }

  // The batcher refers to the run's own data set: a run stays where it was made.
  TrainingRun(const TrainingRun&) = delete;
  TrainingRun& operator=(const TrainingRun&) = delete;

  /// The run's options, with every auto value resolved (as its checkpoints save them).
  const RunOptions& options() const noexcept { return o_; }
  const models::ModelSpec& spec() const noexcept { return spec_; }
  Trainer<float>& trainer() noexcept { return *trainer_; }
  const data::ImageSet& data() const noexcept { return set_; }
  std::int64_t total_steps() const noexcept {
    return batches_->order().steps_per_epoch() * o_.epochs;
  }

  /// Trains to the end (or until hooks.stop_requested()); returns 0, or 130 when stopped.
  int train(const RunHooks& hooks = {}) {
    namespace fs = std::filesystem;
    const fs::path out(o_.out);
    const std::string latest = (out / "checkpoints" / "latest.safetensors").string();
    SampleGrid grid(*model_.generator, o_.seed);
    const index_t chunk = std::min<index_t>(o_.batch, sample_chunk);
    auto write_grid = [&](const std::string& name) {
      if (parallel_.writer())
        grid.write(trainer_->sampler(), (out / "samples" / name).string(), model_.range, chunk);
    };
    Trainer<float>& t = *trainer_;
    std::ofstream log;  // process 0's; the others' stays closed and ignores what it is given
    if (parallel_.writer())
      log = open_run_log((out / "log.csv").string(),
                         "step,epoch,d_loss,g_loss,d_real,d_fake,images_per_s,fid,kid", t.steps());
    if (parallel_.check_agreement) parallel_.check_agreement(t);
    std::ofstream eval_log;
    if (eval_.active()) {
      std::string header = "step";
      for (const auto& c : RunEvaluation::columns()) header += ',' + c;
      eval_log = open_run_log((out / "eval.csv").string(), header, t.steps());
      eval_log << std::setprecision(9);
    }
    if (hooks.message && parallel_.writer())
      hooks.message(eval_.active()
                        ? "evaluation: " + std::to_string(eval_.samples()) + " samples every " +
                              std::to_string(eval_.every()) + " steps, real-vs-real FID floor " +
                              gan::detail::format_number(eval_.fid_floor())
                        : "evaluation: " + eval_.reason());
    TrainingReport report(spec_.describe() + " on " + set_.source);
    const std::string report_path = (out / "report.html").string();
    auto write_report = [&](RunStatus status, const std::string& note) {
      if (!o_.report || !parallel_.writer()) return;
      report.set_status(status, note);
      report.write(report_path);
    };
    if (o_.report && parallel_.writer()) {
      report.set_options(to_json(o_));
      report.set_total_steps(total_steps());
      if (t.steps() > 0) report.add_run_folder(o_.out);  // resumed: what the files hold
    }

    const std::int64_t total = total_steps(), first = t.steps();
    const std::int64_t per_epoch = batches_->order().steps_per_epoch();
    Tensor<float> real;
    std::vector<int> labels;
    using clock = std::chrono::steady_clock;
    const auto started = clock::now();
    Progress p;
    p.total = total;
    p.epochs = o_.epochs;
    // --threads 0: measured (thread_tuner.hpp), between 1 and every core; else fixed.
    ThreadTuner tuner(num_threads());
    eval::Scores last;
    auto evaluate = [&](std::int64_t step) {
      last = eval_.score(trainer_->sampler(), model_.range, chunk);
      eval_log << step;
      const auto m = RunEvaluation::metrics(last);
      for (const auto& c : RunEvaluation::columns()) {
        eval_log << ',';
        if (m.count(c)) eval_log << m.at(c);
      }
      eval_log << '\n';
      eval_log.flush();
      report.add_eval(step, m);
      p.fid = last.fid;
      p.fid_floor = last.fid_floor;
      if (best_fid_ < 0 || last.fid < best_fid_) {
        best_fid_ = last.fid;
        save_checkpoint((out / "checkpoints" / "best.safetensors").string(), *trainer_, metadata());
      }
    };
    try {
      while (t.steps() < total) {
        const std::int64_t step = t.steps();
        batches_->fill(step, real, labels, share_.first, share_.count);
        if (!o_.conditional) labels.clear();
        if (o_.threads == 0) tuner.before_step();
        const auto t0 = clock::now();
        p.stats = t.step(real, labels);
        const double seconds = std::chrono::duration<double>(clock::now() - t0).count();
        if (o_.threads == 0) tuner.after_step(seconds);
        p.threads = num_threads();
        const double rate = static_cast<double>(o_.batch) / seconds;
        p.images_per_s = p.images_per_s == 0 ? rate : 0.9 * p.images_per_s + 0.1 * rate;
        p.step = t.steps();
        p.epoch = step / per_epoch + 1;
        const double elapsed = std::chrono::duration<double>(clock::now() - started).count();
        p.eta_s =
            elapsed / static_cast<double>(p.step - first) * static_cast<double>(total - p.step);
        const bool evaluated = eval_.due(p.step);
        if (evaluated) evaluate(p.step);
        log << p.step << ',' << p.epoch << ',' << p.stats.d_loss << ',' << p.stats.g_loss << ','
            << p.stats.d_real << ',' << p.stats.d_fake << ',' << p.images_per_s << ',';
        if (evaluated)
          log << last.fid << ',' << last.kid;
        else
          log << ',';
        log << '\n';
        if (o_.report && parallel_.writer())
          report.add_step({p.step, p.epoch, p.stats.d_loss, p.stats.g_loss, p.stats.d_real,
                           p.stats.d_fake, p.images_per_s});
        if (hooks.progress) hooks.progress(p);
        if (p.step % o_.sample_every == 0) {
          write_grid(step_name(p.step));
          if (o_.report && parallel_.writer())
            report.add_grid_file(p.step, (out / "samples" / step_name(p.step)).string());
          save(latest);
          log.flush();
          write_report(RunStatus::running, "");
        }
        if (hooks.stop_requested && hooks.stop_requested()) {
          save(latest);
          log.flush();
          const std::string note = "interrupted at step " + std::to_string(p.step) + ": saved " +
                                   latest + " (continue with --resume " + latest + ")";
          write_report(RunStatus::interrupted, note);
          if (hooks.message) hooks.message(note);
          return 130;
        }
      }
    } catch (const std::exception& e) {
      write_report(RunStatus::failed, e.what());
      throw;
    }
    write_grid(step_name(t.steps()));
    write_grid("final.png");
    if (eval_.active() && !eval_.due(t.steps())) evaluate(t.steps());
    save(latest);
    save((out / "checkpoints" / "final.safetensors").string());
    if (o_.report && parallel_.writer()) {
      report.add_grid_file(t.steps(), (out / "samples" / "final.png").string());
      if (eval_.active()) report.set_final_metrics(RunEvaluation::metrics(last));
    }
    write_report(RunStatus::finished, "");
    if (hooks.message) {
      const double elapsed = std::chrono::duration<double>(clock::now() - started).count();
      char line[512];
      std::snprintf(line, sizeof line, "trained %lld steps in %.1f s; final grid %s",
                    static_cast<long long>(t.steps() - first), elapsed,
                    (out / "samples" / "final.png").string().c_str());
      std::string text = line;
      if (eval_.active()) {
        std::snprintf(line, sizeof line,
                      "; FID %.2f (%.1f x real-vs-real %.2f), precision %.2f, recall %.2f",
                      last.fid, last.fid_ratio(), last.fid_floor, last.precision, last.recall);
        text += line;
      }
      if (o_.report && parallel_.writer()) text += "; report " + report_path;
      hooks.message(text);
    }
    return 0;
  }

  /// The metadata every checkpoint of this run carries besides the trainer's state.
  std::map<std::string, std::string> metadata() const {
    std::map<std::string, std::string> m = models::identity(spec_);
    for (const auto& [k, v] : batches_->order().identity()) m[k] = v;
    m["gan.run"] = to_json(o_).dump();
    m["gan.class_names"] = nlohmann::json(set_.class_names).dump();
    if (parallel_.size > 1) m["gan.processes"] = std::to_string(parallel_.size);
    if (best_fid_ >= 0) m["gan.eval.best_fid"] = gan::detail::round_trip(best_fid_);
    return m;
  }

  /// Data-parallel: collective (every process calls it); process 0 writes.
  void save(const std::string& path) {
    if (parallel_.check_agreement) parallel_.check_agreement(*trainer_);
    if (parallel_.writer()) save_checkpoint(path, *trainer_, metadata());
  }

  static std::string step_name(std::int64_t step) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "step_%06lld.png", static_cast<long long>(step));
    return buf;
  }

 private:
  /// Restores a checkpoint after checking that it is of this model and this data order.
  void resume(const std::string& path) {
    const SafetensorsFile f = load_safetensors(path);
    const models::ModelSpec saved = models::spec_from_identity(f.metadata(), path);
    const auto ours = models::identity(spec_);
    const auto theirs = models::identity(saved);
    auto refuse_other = [&](const std::string& key, const std::string& value) {
      if (theirs.at(key) != value)
        throw Error("checkpoint '" + path + "': its " + key + " is " + theirs.at(key) +
                    ", this run's is " + value);
    };
    refuse_other("gan.model", ours.at("gan.model"));  // the model first: it explains the rest
    for (const auto& [key, value] : ours) refuse_other(key, value);
    batches_->order().check(f.metadata(), "checkpoint '" + path + "'");
    gan::detail::check_format(f);
    trainer_->check_state_metadata(f.metadata());
    load_into(f, gan::detail::targets(trainer_->state_tensors()));
    trainer_->set_state_metadata(f.metadata());
    const auto best = f.metadata().find("gan.eval.best_fid");
    if (best != f.metadata().end()) best_fid_ = std::strtod(best->second.c_str(), nullptr);
  }

  /// Creates OUT/samples and OUT/checkpoints and proves they are writable.
  void prepare_output() const {
    namespace fs = std::filesystem;
    for (const char* sub : {"samples", "checkpoints"}) {
      std::error_code ec;
      const fs::path dir = fs::path(o_.out) / sub;
      fs::create_directories(dir, ec);
      const fs::path probe = dir / ".write-test";
      std::ofstream f(probe);
      if (ec || !f) throw Error("output folder '" + dir.string() + "' is not writable");
      f.close();
      fs::remove(probe, ec);
    }
  }

  RunOptions o_;
  data::ImageSet set_;
  models::ModelSpec spec_;
  models::Model model_;
  std::unique_ptr<AnyGenerator<float>> shadow_;  // the EMA generator, when --ema
  models::Discriminators discriminators_;        // the model's and the other K - 1
  std::unique_ptr<data::Batcher> batches_;
  std::unique_ptr<Trainer<float>> trainer_;
  RunParallel parallel_;
  BatchShare share_;
  RunEvaluation eval_;    // process 0's; inactive elsewhere
  double best_fid_ = -1;  // the lowest FID so far (-1: none yet)
};

}  // namespace gan::run
