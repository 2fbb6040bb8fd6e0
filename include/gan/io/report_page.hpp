#pragma once
/// render_report_html(state, written_at): the training report as one self-contained HTML
/// page (report.hpp writes it; report_data.hpp says what `state` holds).
///
/// Sections, top to bottom:
///   header      title, status badge (running / finished / interrupted / failed), note,
///               step (of total, with a progress bar), epoch, when the page was written
///   Latest      the last step's losses, D(x), D(G(z)), images/s; the last evaluation's
///               metrics, each X beside its X_floor as "k x the real-vs-real floor"
///   Final       the final metrics (or why there are none yet)
///   Charts      losses; D(x) and D(G(z)) on [0, 1]; one chart per group of metrics
///               ("fid", "fid_floor", "fid_*" share one; precision, recall, density and
///               coverage share one); throughput. Step series are bucket means, drawn
///               pale behind their moving average once there are many; epochs are marked.
///   Samples     the latest grid large, a slider / play button / thumbnail strip over all
///               grids kept
///   Options     the run's options (JSON objects flattened to dotted keys)
///
/// The page has a Content-Security-Policy that allows nothing from the network (only
/// inline style and script, and data: images), and every text from outside is escaped.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "gan/io/html.hpp"
#include "gan/io/report_assets.hpp"
#include "gan/io/report_data.hpp"
#include "gan/io/svg_chart.hpp"

namespace gan {

namespace detail {

// Tableau 10: distinct hues that stay apart for colour-blind readers.
inline const char* palette(std::size_t i) noexcept {
  static const char* colours[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1",
                                  "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac"};
  return colours[i % 10];
}
inline constexpr const char* floor_colour = "#8a8f98";

inline std::string grouped(std::int64_t v) {  // 12345 -> "12,345"
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

inline bool is_floor(const std::string& name) {
  return name.size() > 6 && name.compare(name.size() - 6, 6, "_floor") == 0;
}

/// The chart a metric is drawn on.
inline std::string metric_group(const std::string& name) {
  for (const char* p : {"precision", "recall", "density", "coverage"})
    if (name == p) return "precision / recall";
  const std::size_t u = name.find('_');
  return u == std::string::npos || u == 0 ? name : name.substr(0, u);
}

inline std::string group_title(const std::string& group) {
  if (group.size() > 4) return group;
  std::string t = group;
  for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return t;
}

/// "3.2x the real-vs-real floor (4.1)" when metrics has name_floor > 0.
inline std::string floor_note(const std::map<std::string, double>& m, const std::string& name) {
  const auto f = m.find(name + "_floor"), v = m.find(name);
  if (f == m.end() || v == m.end() || !(f->second > 0) || !std::isfinite(v->second)) return "";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.1f\u00d7 the real-vs-real floor (%s)", v->second / f->second,
                plain_number(f->second).c_str());
  return buf;
}

inline std::string card(const std::string& label, const std::string& value, const std::string& sub,
                        const char* extra = "") {
  return std::string("<div class=\"card") + extra + "\"><div class=\"label\">" +
         html_escape(label) + "</div><div class=\"value\">" + html_escape(value) + "</div>" +
         (sub.empty() ? "" : "<div class=\"sub muted\">" + html_escape(sub) + "</div>") + "</div>";
}

inline std::string metric_cards(const std::map<std::string, double>& m, const std::string& sub,
                                const char* extra) {
  std::string o;
  for (const auto& [name, value] : m) {
    if (is_floor(name) && m.count(name.substr(0, name.size() - 6))) continue;  // beside its X
    const std::string note = floor_note(m, name);
    o += card(name, plain_number(value), note.empty() ? sub : note, extra);
  }
  return o;
}

inline void flatten(const nlohmann::json& j, const std::string& prefix,
                    std::vector<std::pair<std::string, std::string>>& out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    return;
  }
  out.emplace_back(prefix.empty() ? "options" : prefix,
                   j.is_string()
                       ? j.get<std::string>()
                       : j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

inline std::string panel(const std::string& title, const std::string& svg,
                         const std::string& caption) {
  return "<figure class=\"panel\"><h3>" + html_escape(title) + "</h3>" + svg +
         (caption.empty() ? "" : "<figcaption>" + html_escape(caption) + "</figcaption>") +
         "</figure>";
}

/// Half the window of the moving average drawn over n points: none up to 200 points, then
/// n / 200 points on each side (a window of about 1% of the run).
inline std::size_t smoothing_half_width(std::size_t n) noexcept { return n / 200; }

/// The centred moving average of y over 2h + 1 points (fewer at the ends), of the finite
/// values only; NaN where a window has none.
inline std::vector<double> moving_average(const std::vector<double>& y, std::size_t h) {
  std::vector<double> out(y.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < y.size(); ++i) {
    double sum = 0;
    int n = 0;
    for (std::size_t j = i > h ? i - h : 0; j <= i + h && j < y.size(); ++j)
      if (std::isfinite(y[j])) {
        sum += y[j];
        ++n;
      }
    if (n > 0) out[i] = sum / n;
  }
  return out;
}

/// A step series' buckets as a chart series: x the bucket's middle step, y the bucket
/// means; when `smooth`, y is their moving average and the means are drawn faint behind.
inline ChartSeries step_series(const StepSeries& steps, StepField f, std::string name,
                               std::string colour, bool smooth) {
  ChartSeries s;
  s.name = std::move(name);
  s.colour = std::move(colour);
  for (const StepBucket& b : steps.buckets()) {
    s.x.push_back(0.5 * static_cast<double>(b.first_step + b.last_step));
    s.y.push_back(b[f].value());
  }
  const std::size_t h = smoothing_half_width(s.y.size());
  if (smooth && h > 0) {
    s.faint = s.y;
    s.y = moving_average(s.faint, h);
  }
  return s;
}

/// What a point of the step charts is.
inline std::string step_caption(const StepSeries& steps) {
  if (steps.empty()) return "";
  const std::int64_t w = steps.rows_per_bucket();
  const std::size_t h = smoothing_half_width(steps.buckets().size());
  const std::string each = w > 1 ? "the mean of every " + grouped(w) + " steps" : "every step";
  if (h == 0) return w > 1 ? "Each point is " + each + "." : "One point per step.";
  const std::int64_t window = static_cast<std::int64_t>(2 * h + 1);
  return "Pale: " + each + "; bold: their moving average over " +
         (w > 1 ? std::to_string(window) + " points (" + grouped(window * w) + " steps)."
                : grouped(window) + " steps.");
}

inline std::vector<std::pair<double, std::string>> epoch_marks(const StepSeries& steps) {
  std::vector<std::pair<double, std::string>> marks;
  const auto& b = steps.buckets();
  // An epoch begins between two buckets, or inside one (then it is marked at its middle).
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i > 0 && b[i].first_epoch != b[i - 1].last_epoch)
      marks.emplace_back(static_cast<double>(b[i].first_step),
                         "epoch " + std::to_string(b[i].first_epoch));
    if (b[i].last_epoch != b[i].first_epoch)
      marks.emplace_back(0.5 * static_cast<double>(b[i].first_step + b[i].last_step),
                         "epoch " + std::to_string(b[i].last_epoch));
  }
  const std::size_t keep = 60;
  if (marks.size() > keep) {  // every k-th, so that the lines stay apart
    const std::size_t k = (marks.size() + keep - 1) / keep;
    std::vector<std::pair<double, std::string>> thinned;
    for (std::size_t i = 0; i < marks.size(); i += k) thinned.push_back(marks[i]);
    marks.swap(thinned);
  }
  return marks;
}

inline std::string step_charts(const ReportState& st) {
  const StepSeries& s = st.steps;
  const std::string caption = step_caption(s);
  ChartSpec spec;
  spec.x_marks = epoch_marks(s);
  spec.empty_text = "waiting for the first steps";
  spec.y_label = "loss";
  spec.y_scale = AxisScale::linear;
  std::string o =
      panel("Losses",
            svg_line_chart(spec, {step_series(s, StepField::d_loss, "D loss", palette(0), true),
                                  step_series(s, StepField::g_loss, "G loss", palette(1), true)}),
            caption);
  spec.y_label = "mean D output";
  spec.y_min = 0;
  spec.y_max = 1;
  ChartSeries half;
  half.name = "0.5 (D cannot tell)";
  half.colour = floor_colour;
  half.dashed = true;
  if (!s.empty()) {
    half.x = {static_cast<double>(s.buckets().front().first_step),
              static_cast<double>(s.latest().step)};
    half.y = {0.5, 0.5};
  }
  o += panel("Discriminator outputs: D(x) and D(G(z))",
             svg_line_chart(
                 spec, {step_series(s, StepField::d_real, "D(x) real", palette(2), true),
                        step_series(s, StepField::d_fake, "D(G(z)) fake", palette(3), true), half}),
             caption.empty() ? caption : "D's mean probability that its input is real. " + caption);
  return o;
}

/// What a reader should know to read a group's chart.
inline std::string group_caption(const std::string& group, bool has_floor) {
  std::string c;
  if (group == "fid" || group == "kid")
    c = "Lower is better.";
  else if (group == "precision / recall")
    c = "Higher is better: precision is the share of generated images that look like real "
        "ones, recall the share of real images the generator can make (Kynk\u00e4\u00e4nniemi "
        "et al., 2019).";
  if (has_floor)
    c += std::string(c.empty() ? "" : " ") +
         "Dashed: the floor, the same metric between two samples of real images; a model "
         "cannot be expected to do better than about this.";
  return c;
}

inline std::string eval_charts(const ReportState& st) {
  std::map<std::string, std::vector<std::string>> groups;
  for (const std::string& n : st.evals.names()) groups[metric_group(n)].push_back(n);
  if (groups.empty()) {
    ChartSpec spec;
    spec.y_label = "metric";
    spec.empty_text = "no evaluation yet";
    return panel("Evaluation", svg_line_chart(spec, {}),
                 "FID, KID and the other metrics appear here once the run evaluates.");
  }
  std::string o;
  std::size_t colour = 0;  // across charts, so that each metric has a colour of its own
  for (const auto& [group, names] : groups) {
    std::vector<ChartSeries> series;
    bool has_floor = false;
    for (const std::string& n : names) {
      ChartSeries s;
      s.markers = true;
      if (is_floor(n)) {
        s.name = n.substr(0, n.size() - 6) + " floor (real vs real)";
        s.colour = floor_colour;
        s.dashed = true;
        has_floor = true;
      } else {
        s.name = n;
        s.colour = palette(colour++);
      }
      for (const EvalRow& r : st.evals.rows()) {
        const auto it = r.metrics.find(n);
        if (it == r.metrics.end()) continue;
        s.x.push_back(static_cast<double>(r.step));
        s.y.push_back(it->second);
      }
      series.push_back(std::move(s));
    }
    ChartSpec spec;
    spec.y_label = group;
    if (group == "precision / recall") {
      spec.y_min = 0;
      spec.y_max = 1;
    }
    if (!st.steps.empty()) {  // the step charts' x range, so that the charts line up
      spec.x_min = static_cast<double>(st.steps.buckets().front().first_step);
      spec.x_max = static_cast<double>(st.steps.latest().step);
    }
    o += panel(group_title(group), svg_line_chart(spec, series), group_caption(group, has_floor));
  }
  return o;
}

inline std::string throughput_chart(const ReportState& st) {
  ChartSpec spec;
  spec.y_label = "images / s";
  spec.y_scale = AxisScale::linear;
  spec.empty_text = "waiting for the first steps";
  return panel("Throughput",
               svg_line_chart(spec, {step_series(st.steps, StepField::images_per_s,
                                                 "images per second", palette(4), false)}),
               "Training images per second (smoothed as the run measures it).");
}

inline std::string samples_section(const GridStrip& strip) {
  if (strip.empty())
    return "<div class=\"samples\"><p class=\"muted\">No sample grid yet: the run writes one "
           "every few hundred steps.</p></div>";
  const auto& grids = strip.grids();
  const ReportGrid& last = grids.back();
  // Small grids are scaled up by a whole factor, so that their pixels stay sharp.
  const std::uint32_t scale =
      std::max<std::uint32_t>(1, std::min<std::uint32_t>(4, 640 / last.width));
  std::string o =
      "<div class=\"samples\"><div class=\"viewer\"><img id=\"grid-view\" alt=\"sample "
      "grid\" width=\"" +
      std::to_string(last.width * scale) + "\" height=\"" + std::to_string(last.height * scale) +
      "\">";
  o += "<div class=\"controls\"><button id=\"grid-prev\" type=\"button\" title=\"previous\">"
       "\u25C0</button><button id=\"grid-play\" type=\"button\">\u25B6 play</button>"
       "<input id=\"grid-slider\" type=\"range\" min=\"0\" max=\"" +
       std::to_string(grids.size() - 1) + "\" value=\"" + std::to_string(grids.size() - 1) +
       "\" aria-label=\"grid\"><button id=\"grid-next\" type=\"button\" title=\"next\">\u25B6"
       "</button><span id=\"grid-label\"></span></div></div><div class=\"strip\" id=\"strip\">";
  for (std::size_t i = 0; i < grids.size(); ++i) {
    const std::string step = "step " + grouped(grids[i].step);
    const std::string label =
        step + " (" + std::to_string(i + 1) + " of " + std::to_string(grids.size()) + ")";
    o += "<figure class=\"thumb\" data-label=\"" + html_escape(label) + "\"><img src=\"" +
         png_data_uri(grids[i].png) + "\" alt=\"" + html_escape(step) + "\"><figcaption>" +
         html_escape(grouped(grids[i].step)) + "</figcaption></figure>";
  }
  return o + "</div></div>";
}

}  // namespace detail

inline std::string render_report_html(const ReportState& st, const std::string& written_at) {
  using namespace detail;
  const StepSeries& steps = st.steps;
  std::string o;
  o.reserve(64 * 1024 + st.grids.bytes() * 4 / 3);
  o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">";
  if (st.refresh_seconds > 0 && st.status == RunStatus::running)
    o += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(st.refresh_seconds) + "\">";
  o += "<title>" + html_escape(st.title) + "</title><style>" + report_css + "</style></head><body>";
  o += "<main><header><div class=\"title-row\"><h1>" + html_escape(st.title) +
       "</h1><span class=\"badge " + to_string(st.status) + "\">" + to_string(st.status) +
       "</span></div>";
  if (!st.note.empty()) o += "<div class=\"note\">" + html_escape(st.note) + "</div>";
  std::string sub;
  if (!steps.empty()) {
    sub = "step " + grouped(steps.latest().step);
    if (st.total_steps > 0) sub += " of " + grouped(st.total_steps);
    sub += " \u00b7 epoch " + grouped(steps.latest().epoch) + " \u00b7 ";
  } else {
    sub = "no step yet \u00b7 ";
  }
  sub += "written " + written_at;
  if (st.status == RunStatus::running) sub += " \u00b7 reload the page to update it";
  o += "<div class=\"sub\">" + html_escape(sub) + "</div>";
  if (st.total_steps > 0) {
    const double done = std::clamp(
        static_cast<double>(steps.latest().step) / static_cast<double>(st.total_steps), 0.0, 1.0);
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.1f%%", 100 * done);
    o += "<div class=\"progress\" title=\"" + std::string(pct) + "\"><div style=\"width:" + pct +
         "\"></div></div>";
  }
  o += "</header>";

  // Latest values.
  o += "<h2>Latest</h2><div class=\"cards\">";
  if (steps.empty()) {
    o += card("step", "\u2013", "the run has not finished a step yet");
  } else {
    const ReportStep& r = steps.latest();
    const std::string at = "at step " + grouped(r.step);
    o += card("D loss", plain_number(r.d_loss), at) + card("G loss", plain_number(r.g_loss), at) +
         card("D(x)", plain_number(r.d_real), "real images") +
         card("D(G(z))", plain_number(r.d_fake), "generated images") +
         card("images / s", plain_number(std::round(r.images_per_s)), "training throughput");
  }
  if (!st.evals.empty()) {
    const EvalRow& e = st.evals.rows().back();
    o += metric_cards(e.metrics, "evaluated at step " + grouped(e.step), "");
  }
  o += "</div>";

  o += "<h2>Final metrics</h2>";
  if (!st.final_metrics.empty()) {
    o += "<div class=\"cards\">" +
         metric_cards(st.final_metrics, "at the end of the run", " final") + "</div>";
  } else {
    const char* why = st.status == RunStatus::running    ? "The run is still going: final metrics "
                                                           "appear here when it finishes."
                      : st.status == RunStatus::finished ? "The run recorded no final metrics."
                                                         : "The run stopped before its final "
                                                           "evaluation: no final metrics.";
    o += "<p class=\"muted\">" + std::string(why) + "</p>";
  }

  o += "<h2>Charts</h2><div class=\"charts\">" + step_charts(st) + eval_charts(st) +
       throughput_chart(st) + "</div>";
  o += "<h2>Samples</h2>" + samples_section(st.grids);

  o += "<h2>Options</h2>";
  std::vector<std::pair<std::string, std::string>> kv;
  if (!st.options.is_object() || !st.options.empty()) flatten(st.options, "", kv);
  if (kv.empty()) {
    o += "<p class=\"muted\">No options recorded.</p>";
  } else {
    o += "<table class=\"kv\">";
    for (const auto& [k, v] : kv)
      o += "<tr><td class=\"k\">" + html_escape(k) + "</td><td class=\"v\">" + html_escape(v) +
           "</td></tr>";
    o += "</table>";
  }
  o += "<footer>A self-contained page: charts, images and script are all inside this file, and "
       "it loads nothing from the network. It is rewritten in one piece (a temporary file "
       "renamed over it), so reloading it during training always shows a whole page.</footer>";
  o += "</main><div id=\"tip\"></div><p id=\"report-check\" hidden></p><script>";
  o += report_js;
  o += "</script></body></html>\n";
  return o;
}

}  // namespace gan
