#pragma once
/// svg_line_chart: a line chart as one inline <svg> element, for the training report
/// (report.hpp); no script is needed to see it.
///
///   std::string svg = gan::svg_line_chart(spec, {series...});
///
/// A series is x[i], y[i] (same length, x ascending), optionally a band lo[i]..hi[i] drawn
/// shaded behind the line, the unsmoothed values faint[i] drawn pale behind it (y then being
/// their moving average), dashed or with a dot at every point (for the few points of an
/// evaluation). A non-finite y (or, on a log axis, y <= 0) breaks the line there. The chart
/// has a legend, axis labels, "nice" ticks (Heckbert, "Nice numbers for graph labels",
/// Graphics Gems, 1990), optional vertical marks (epochs; labelled where there is room),
/// and a y axis that is linear, log or chosen automatically (log when every value is
/// positive and they span more than 20x). The x range is the data's (widened to spec.x_min
/// / x_max where given); the y range that of the lines and faint lines (bands are clipped
/// to it) unless spec.y_min / y_max fix it. With no finite point the chart says
/// spec.empty_text.
///
/// The <svg> carries its data in a data-chart attribute (JSON, HTML-escaped) so that the
/// report's script can show the values under the mouse; the chart is complete without it.
/// Text is HTML-escaped; colours must be CSS colours of the caller's choosing (not user
/// input). A series whose lengths disagree throws gan::Error naming it.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "gan/core/error.hpp"
#include "gan/io/html.hpp"

namespace gan {

struct ChartSeries {
  std::string name;
  std::string colour = "#4e79a7";
  std::vector<double> x, y;
  std::vector<double> lo, hi;  ///< a band: empty, or as long as x
  std::vector<double> faint;   ///< the unsmoothed values, drawn pale behind: empty or as x
  bool dashed = false;
  bool markers = false;
};

enum class AxisScale { linear, log, automatic };

struct ChartSpec {
  std::string x_label = "step";
  std::string y_label;
  AxisScale y_scale = AxisScale::automatic;
  double y_min = std::numeric_limits<double>::quiet_NaN();  ///< fixed where finite
  double y_max = std::numeric_limits<double>::quiet_NaN();
  double x_min = std::numeric_limits<double>::quiet_NaN();  ///< fixed where finite (to line
  double x_max = std::numeric_limits<double>::quiet_NaN();  ///< up charts of one run)
  std::vector<std::pair<double, std::string>> x_marks;      ///< faint vertical lines, labelled
  int width = 640, height = 300;
  std::string empty_text = "no data yet";
};

namespace detail {

/// Heckbert's nice number: 1, 2, 5 or 10 times a power of ten, near x (rounded or above).
inline double nice_number(double x, bool round) {
  const double e = std::floor(std::log10(x)), f = x / std::pow(10.0, e);
  double nf;
  if (round)
    nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  else
    nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * std::pow(10.0, e);
}

/// A nice step for about n ticks over [lo, hi].
inline double tick_step(double lo, double hi, int n) {
  return nice_number(nice_number(hi - lo, false) / (n - 1), true);
}

/// The multiples of step inside [lo, hi].
inline std::vector<double> ticks_of(double lo, double hi, double step) {
  std::vector<double> ticks;
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1)
    ticks.push_back(k == 0 ? 0.0 : k * step);
  return ticks;
}

/// Six significant digits are plenty for reading values off a chart and keep the JSON short.
inline double round6(double v) {
  if (!std::isfinite(v)) return v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return std::strtod(buf, nullptr);
}

inline std::string fmt1(double v) {  // an SVG coordinate: one decimal is sub-pixel
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace detail

inline std::string svg_line_chart(const ChartSpec& spec, const std::vector<ChartSeries>& series) {
  using detail::fmt1;
  for (const ChartSeries& s : series) {
    if (s.x.size() != s.y.size() || (!s.lo.empty() && s.lo.size() != s.x.size()) ||
        s.lo.size() != s.hi.size() || (!s.faint.empty() && s.faint.size() != s.x.size()))
      throw Error("svg_line_chart: series '" + s.name + "': x has " + std::to_string(s.x.size()) +
                  " values, y " + std::to_string(s.y.size()) + ", lo " +
                  std::to_string(s.lo.size()) + ", hi " + std::to_string(s.hi.size()) + ", faint " +
                  std::to_string(s.faint.size()) +
                  " (expected y as long as x, and lo, hi, faint empty or as long as x)");
  }
  const double inf = std::numeric_limits<double>::infinity();
  // The y scale: log only where every line value is positive.
  double ymin = inf, ymax = -inf, xmin = inf, xmax = -inf, ypos = inf;
  bool nonpositive = false;
  for (const ChartSeries& s : series)
    for (const std::vector<double>* ys : {&s.y, &s.faint})
      for (std::size_t i = 0; i < ys->size(); ++i) {
        const double y = (*ys)[i];
        if (!std::isfinite(s.x[i]) || !std::isfinite(y)) continue;
        xmin = std::min(xmin, s.x[i]);
        xmax = std::max(xmax, s.x[i]);
        ymin = std::min(ymin, y);
        ymax = std::max(ymax, y);
        if (y > 0) ypos = std::min(ypos, y);
        nonpositive = nonpositive || y <= 0;
      }
  const bool has_data = xmin <= xmax;  // a finite point
  if (std::isfinite(spec.x_min)) xmin = std::min(xmin, spec.x_min);
  if (std::isfinite(spec.x_max)) xmax = std::max(xmax, spec.x_max);
  bool log = spec.y_scale == AxisScale::log || (spec.y_scale == AxisScale::automatic && has_data &&
                                                !nonpositive && ymin > 0 && ymax / ymin > 20);
  if (log && !(ypos < inf)) log = false;
  if (log) ymin = ypos;
  if (std::isfinite(spec.y_min)) ymin = spec.y_min;
  if (std::isfinite(spec.y_max)) ymax = spec.y_max;
  if (log && !(ymin > 0)) ymin = ypos;

  // Legend rows first: they set the top margin.
  const int W = spec.width, H = spec.height, left = 62, right = 16, bottom = 44;
  struct Item {
    std::size_t series;
    int x, row;
  };
  std::vector<Item> items;
  int lx = left, row = 0;
  for (std::size_t k = 0; k < series.size(); ++k) {
    const int w = 26 + static_cast<int>(series[k].name.size()) * 7 + 18;
    if (lx + w > W - right && lx > left) {
      lx = left;
      ++row;
    }
    items.push_back({k, lx, row});
    lx += w;
  }
  const int top = 18 + (row + 1) * 18;
  const double pw = W - left - right, ph = H - top - bottom;

  // Domains and ticks.
  double x0 = xmin, x1 = xmax, f0 = 0, f1 = 1, xstep = 1, ystep = 1;
  std::vector<double> xticks, yticks;
  if (has_data) {
    if (x1 - x0 <= 0) {
      x0 -= 1;
      x1 += 1;
    }
    xstep = detail::tick_step(x0, x1, 6);
    xticks = detail::ticks_of(x0, x1, xstep);
    if (log) {
      f0 = std::floor(std::log10(ymin) + 1e-9);
      f1 = std::ceil(std::log10(ymax) - 1e-9);
      if (f1 <= f0) f1 = f0 + 1;
      for (double e = f0; e <= f1 + 1e-9; e += 1)
        for (const double m : {1.0, 2.0, 5.0})
          if ((m == 1 || f1 - f0 <= 2) && e + std::log10(m) <= f1 + 1e-9)
            yticks.push_back(m * std::pow(10.0, e));
    } else {
      if (!(ymax > ymin)) {
        const double pad = ymin == 0 ? 1 : std::fabs(ymin) * 0.1;
        ymin -= pad;
        ymax += pad;
      }
      const bool fixed_lo = std::isfinite(spec.y_min), fixed_hi = std::isfinite(spec.y_max);
      // Heckbert's loose labelling: the axis ends on ticks, unless it is fixed.
      ystep = detail::tick_step(ymin, ymax, 5);
      f0 = fixed_lo ? ymin : std::floor(ymin / ystep + 1e-9) * ystep;
      f1 = fixed_hi ? ymax : std::ceil(ymax / ystep - 1e-9) * ystep;
      yticks = detail::ticks_of(f0, f1, ystep);
    }
  }
  auto sx = [&](double x) { return (x - x0) / (x1 - x0) * pw; };
  auto fy = [&](double y) { return log ? std::log10(y) : y; };
  auto sy = [&](double y) { return ph - (fy(y) - f0) / (f1 - f0) * ph; };
  auto usable = [&](double x, double y) {
    return std::isfinite(x) && std::isfinite(y) && (!log || y > 0);
  };

  std::string o;
  o += "<svg class=\"chart\" viewBox=\"0 0 " + std::to_string(W) + " " + std::to_string(H) +
       "\" role=\"img\" aria-label=\"" + html_escape(spec.y_label) + " over " +
       html_escape(spec.x_label) + "\"";
  if (has_data) {
    nlohmann::json d = {{"x0", x0}, {"x1", x1},   {"f0", f0},
                        {"f1", f1}, {"log", log}, {"plot", {left, top, pw, ph}},
                        {"w", W},   {"h", H},     {"xl", spec.x_label}};
    nlohmann::json js = nlohmann::json::array();
    for (const ChartSeries& s : series) {
      nlohmann::json xs = nlohmann::json::array(), ys = nlohmann::json::array();
      for (std::size_t i = 0; i < s.x.size(); ++i) {
        xs.push_back(detail::round6(s.x[i]));
        if (std::isfinite(s.y[i]))
          ys.push_back(detail::round6(s.y[i]));
        else
          ys.push_back(nullptr);
      }
      nlohmann::json entry = {{"n", s.name}, {"c", s.colour}, {"x", xs}, {"y", ys}};
      if (!s.faint.empty()) {
        nlohmann::json rs = nlohmann::json::array();
        for (const double v : s.faint)
          if (std::isfinite(v))
            rs.push_back(detail::round6(v));
          else
            rs.push_back(nullptr);
        entry["r"] = rs;
      }
      js.push_back(entry);
    }
    d["s"] = js;
    o += " data-chart=\"" +
         html_escape(d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) + "\"";
  }
  o += ">";
  o += "<rect class=\"plot-bg\" x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(top) +
       "\" width=\"" + fmt1(pw) + "\" height=\"" + fmt1(ph) + "\"/>";

  // Legend.
  for (const Item& it : items) {
    const ChartSeries& s = series[it.series];
    const int y = 16 + it.row * 18;
    o += "<g class=\"legend\"><line x1=\"" + std::to_string(it.x) + "\" y1=\"" + std::to_string(y) +
         "\" x2=\"" + std::to_string(it.x + 20) + "\" y2=\"" + std::to_string(y) + "\" stroke=\"" +
         html_escape(s.colour) + "\" stroke-width=\"3\"" +
         (s.dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>";
    if (s.markers)
      o += "<circle cx=\"" + std::to_string(it.x + 10) + "\" cy=\"" + std::to_string(y) +
           "\" r=\"3.5\" fill=\"" + html_escape(s.colour) + "\"/>";
    o += "<text x=\"" + std::to_string(it.x + 26) + "\" y=\"" + std::to_string(y + 4) + "\">" +
         html_escape(s.name) + "</text></g>";
  }

  // Axis labels.
  o += "<text class=\"axis-label\" x=\"" + fmt1(left + pw / 2) + "\" y=\"" + std::to_string(H - 6) +
       "\" text-anchor=\"middle\">" + html_escape(spec.x_label) + "</text>";
  o += "<text class=\"axis-label\" transform=\"translate(14 " + fmt1(top + ph / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">" + html_escape(spec.y_label) +
       (log ? " (log scale)" : "") + "</text>";

  if (!has_data) {
    o += "<text class=\"empty\" x=\"" + fmt1(left + pw / 2) + "\" y=\"" + fmt1(top + ph / 2) +
         "\" text-anchor=\"middle\">" + html_escape(spec.empty_text) + "</text></svg>";
    return o;
  }

  // Grid and ticks.
  for (const double t : yticks) {
    const double y = top + sy(t);
    o += "<line class=\"grid\" x1=\"" + std::to_string(left) + "\" x2=\"" + fmt1(left + pw) +
         "\" y1=\"" + fmt1(y) + "\" y2=\"" + fmt1(y) + "\"/>";
    o += "<text class=\"tick\" x=\"" + std::to_string(left - 6) + "\" y=\"" + fmt1(y + 4) +
         "\" text-anchor=\"end\">" + short_number(t, log ? t : ystep) + "</text>";
  }
  for (const double t : xticks) {
    const double x = left + sx(t);
    o += "<line class=\"grid\" x1=\"" + fmt1(x) + "\" x2=\"" + fmt1(x) + "\" y1=\"" +
         std::to_string(top) + "\" y2=\"" + fmt1(top + ph) + "\"/>";
    o += "<text class=\"tick\" x=\"" + fmt1(x) + "\" y=\"" + fmt1(top + ph + 16) +
         "\" text-anchor=\"middle\">" + short_number(t, xstep) + "</text>";
  }
  o += "<line class=\"axis\" x1=\"" + std::to_string(left) + "\" x2=\"" + fmt1(left + pw) +
       "\" y1=\"" + fmt1(top + ph) + "\" y2=\"" + fmt1(top + ph) + "\"/>";
  o += "<line class=\"axis\" x1=\"" + std::to_string(left) + "\" x2=\"" + std::to_string(left) +
       "\" y1=\"" + std::to_string(top) + "\" y2=\"" + fmt1(top + ph) + "\"/>";

  // The plot area clips: a nested <svg> has overflow hidden and its own origin.
  o += "<svg x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(top) + "\" width=\"" +
       fmt1(pw) + "\" height=\"" + fmt1(ph) + "\">";
  // Every mark's line; a label only where it does not run into the previous one or the edge.
  double labelled = -inf;
  for (const auto& [x, label] : spec.x_marks) {
    if (!(x >= x0 && x <= x1)) continue;
    const double px = sx(x), room = 6.0 * static_cast<double>(label.size()) + 10;
    o += "<line class=\"mark\" x1=\"" + fmt1(px) + "\" x2=\"" + fmt1(px) + "\" y1=\"0\" y2=\"" +
         fmt1(ph) + "\"/>";
    if (px - labelled >= room && px + room <= pw) {
      o += "<text class=\"mark-label\" x=\"" + fmt1(px + 3) + "\" y=\"11\">" + html_escape(label) +
           "</text>";
      labelled = px;
    }
  }
  // A path through the usable points of ys, broken where one is not usable.
  auto polyline = [&](const std::vector<double>& xs, const std::vector<double>& ys) {
    std::string d;
    bool pen = false;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (!usable(xs[i], ys[i])) {
        pen = false;
        continue;
      }
      d += (pen ? "L" : "M") + fmt1(sx(xs[i])) + " " + fmt1(sy(ys[i]));
      pen = true;
    }
    return d;
  };
  // Bands, then every series' faint line, then the lines: no pale layer hides a line.
  for (const ChartSeries& s : series) {
    const std::string colour = html_escape(s.colour);
    if (!s.lo.empty()) {  // each run of usable points is one closed band
      std::size_t i = 0;
      while (i < s.x.size()) {
        while (i < s.x.size() && !(usable(s.x[i], s.lo[i]) && usable(s.x[i], s.hi[i]))) ++i;
        std::size_t j = i;
        while (j < s.x.size() && usable(s.x[j], s.lo[j]) && usable(s.x[j], s.hi[j])) ++j;
        if (j > i + 1) {
          std::string d;
          for (std::size_t k = i; k < j; ++k)
            d += (k == i ? "M" : "L") + fmt1(sx(s.x[k])) + " " + fmt1(sy(s.hi[k]));
          for (std::size_t k = j; k-- > i;) d += "L" + fmt1(sx(s.x[k])) + " " + fmt1(sy(s.lo[k]));
          o += "<path class=\"band\" fill=\"" + colour + "\" d=\"" + d + "Z\"/>";
        }
        i = j;
      }
    }
  }
  for (const ChartSeries& s : series) {
    const std::string d = s.faint.empty() ? "" : polyline(s.x, s.faint);
    if (d.find('L') != std::string::npos)
      o += "<path class=\"faint\" stroke=\"" + html_escape(s.colour) + "\" d=\"" + d + "\"/>";
  }
  for (const ChartSeries& s : series) {
    const std::string d = polyline(s.x, s.y);
    if (d.find('L') != std::string::npos)  // lone points are dots (below)
      o += "<path class=\"line\" stroke=\"" + html_escape(s.colour) + "\"" +
           (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + " d=\"" + d + "\"/>";
  }
  o += "</svg>";
  // Dots outside the clip, so that one on the plot's edge shows whole; and a lone point
  // of a line (which a path cannot show) as a dot too.
  auto inside = [&](double x, double y) {
    return usable(x, y) && x >= x0 && x <= x1 && fy(y) >= f0 - 1e-9 && fy(y) <= f1 + 1e-9;
  };
  for (const ChartSeries& s : series)
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      const bool alone = (i == 0 || !usable(s.x[i - 1], s.y[i - 1])) &&
                         (i + 1 == s.x.size() || !usable(s.x[i + 1], s.y[i + 1]));
      if ((s.markers || alone) && inside(s.x[i], s.y[i]))
        o += "<circle class=\"dot\" cx=\"" + fmt1(left + sx(s.x[i])) + "\" cy=\"" +
             fmt1(top + sy(s.y[i])) + "\" r=\"" + (s.markers ? "3.5" : "2.5") + "\" fill=\"" +
             html_escape(s.colour) + "\"/>";
    }
  o += "</svg>";
  return o;
}

}  // namespace gan
