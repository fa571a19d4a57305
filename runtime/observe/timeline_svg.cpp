// TraceWriter::write_timeline: the recorded commands as a self-contained SVG Gantt chart. Rows:
// per device (in the order first seen) its write, kernel and read lanes, lanes with no command
// left out. Every command is one <rect> with a <title> (its tooltip); everything else is text,
// lines and paths, so that the rects are exactly the commands.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

#include "common/bytes_text.hpp"
#include "observe/trace_records.hpp"
#include "tessera/error.hpp"

namespace tessera {
namespace {

constexpr double label_width = 300;  // the row labels' column
constexpr double plot_width = 1000;
constexpr double row_height = 22;
constexpr double top = 58;           // the title and the axis above the rows
constexpr double bar = 14;           // a kernel's height; transfers are thinner

// Colours for steps (colour-blind safe, after Okabe and Ito), cycled.
constexpr std::array<const char*, 7> step_colours{"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                                   "#56B4E9", "#D55E00", "#F0E442"};

std::string escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A tick step of 1, 2 or 5 x 10^k ms giving about 8 ticks over `span_ms`.
double tick_step(double span_ms) {
  const double raw = std::max(span_ms / 8, 1e-6);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

}  // namespace

void TraceWriter::write_timeline(const std::filesystem::path& svg, std::string_view title) {
  const std::lock_guard lock(mutex_);
  std::uint64_t origin = UINT64_MAX, end = 0;
  for (const detail::TraceCommand& c : commands_) {
    origin = std::min(origin, c.record.start_ns);
    end = std::max(end, c.record.end_ns);
  }
  if (commands_.empty()) origin = end = 0;
  const double span_ms = std::max(static_cast<double>(end - origin) / 1e6, 1e-3);
  const auto x_of = [&](std::uint64_t ns) {
    return label_width + plot_width * (static_cast<double>(ns > origin ? ns - origin : 0) / 1e6) / span_ms;
  };

  // Rows: (device pid, lane) pairs that hold a command, devices in label order.
  std::map<std::pair<int, int>, int> rows;
  for (const detail::TraceCommand& c : commands_) rows.emplace(std::pair{c.pid, static_cast<int>(c.record.lane)}, 0);
  std::vector<std::pair<int, int>> order;
  for (const auto& [key, row] : rows) order.push_back(key);
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    const std::string& da = devices_[static_cast<std::size_t>(a.first - 1)];
    const std::string& db = devices_[static_cast<std::size_t>(b.first - 1)];
    return da != db ? da < db : a.second < b.second;
  });
  for (std::size_t r = 0; r < order.size(); ++r) rows[order[r]] = static_cast<int>(r);

  // Steps, for the kernels' colours: the step span a kernel started in.
  const auto steps = detail::step_spans(events_);
  double balance_sum = 0;
  std::size_t launches = 0;
  std::uint64_t moved = 0;
  for (const detail::TraceEvent& e : events_) {
    if (e.category == "launch" && e.balance >= 0) {
      balance_sum += e.balance;
      ++launches;
      moved += e.bytes;
    }
  }

  const double height = top + row_height * static_cast<double>(rows.size()) + 40;
  const double width = label_width + plot_width + 30;
  std::string out = fmt::format(
      R"(<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{0:.0f}" height="{1:.0f}" viewBox="0 0 {0:.0f} {1:.0f}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
<path d="M0 0H{0:.0f}V{1:.0f}H0Z" fill="#ffffff"/>
)",
      width, height);
  const std::string heading =
      fmt::format("{}{}{} commands on {} lane(s) in {:.3f} ms; balance {}; {} moved", escaped(title),
                  title.empty() ? "" : " — ", commands_.size(), rows.size(), span_ms,
                  launches > 0 ? fmt::format("{:.2f}", balance_sum / static_cast<double>(launches)) : "n/a",
                  detail::bytes_text(moved));
  out += fmt::format(R"(<text x="10" y="20" font-size="15" font-weight="bold">{}</text>
)", heading);
  // The axis: ticks in ms and light grid lines.
  const double step = tick_step(span_ms);
  for (double t = 0; t <= span_ms + 1e-9; t += step) {
    const double x = label_width + plot_width * t / span_ms;
    out += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#e3e3e3"/>
<text x="{0:.1f}" y="{3:.1f}" text-anchor="middle" fill="#555">{4:g} ms</text>
)",
                       x, top - 6, height - 40, top - 12, t);
  }
  // Row labels and separators.
  for (const auto& [key, row] : rows) {
    const double y = top + row_height * row;
    const std::string& device = devices_[static_cast<std::size_t>(key.first - 1)];
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" text-anchor="end" fill="#222">{} · {}</text>
<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#f0f0f0"/>
)",
                       label_width - 8, y + row_height / 2 + 4, escaped(device.substr(0, 34)),
                       to_string(static_cast<Lane>(key.second)), label_width, y + row_height, label_width + plot_width,
                       y + row_height);
  }
  // The commands.
  for (const detail::TraceCommand& c : commands_) {
    const CommandRecord& r = c.record;
    const int row = rows.at({c.pid, static_cast<int>(r.lane)});
    const bool kernel = r.lane == Lane::kernel;
    const double h = kernel ? bar : bar * 0.6;
    const double y = top + row_height * row + (row_height - h) / 2;
    const double x = x_of(r.start_ns);
    const double w = std::max(x_of(r.end_ns) - x, 0.6);
    const std::size_t s = detail::span_at(steps, r.start_ns);
    const char* fill = !kernel ? (r.lane == Lane::write ? "#7f8c99" : "#b3a08c")
                               : step_colours[(s == steps.size() ? c.kernel : s) % step_colours.size()];
    out += fmt::format(
        R"(<rect x="{:.2f}" y="{:.1f}" width="{:.2f}" height="{:.1f}" fill="{}" stroke="#ffffff" stroke-width="0.3"><title>{} · launch {} chunk {} [{}, {}) · {:.3f} ms{}</title></rect>
)",
        x, y, w, h, fill, kernel ? escaped(kernels_[c.kernel]) : std::string(to_string(r.lane)), c.launch,
        c.chunk.sequence, c.chunk.offset, c.chunk.offset + c.chunk.size,
        static_cast<double>(r.end_ns - std::min(r.end_ns, r.start_ns)) / 1e6,
        r.bytes > 0 ? " · " + detail::bytes_text(r.bytes) : std::string());
  }
  // The legend: steps' colours and the transfers'.
  double lx = label_width;
  const double ly = height - 16;
  const auto legend = [&](const char* colour, const std::string& text) {
    out += fmt::format(R"(<path d="M{0:.1f} {1:.1f}h12v10h-12Z" fill="{2}"/><text x="{3:.1f}" y="{4:.1f}" fill="#333">{5}</text>
)",
                       lx, ly - 9, colour, lx + 16, ly, escaped(text));
    lx += 24 + 7.0 * static_cast<double>(text.size());
  };
  for (std::size_t s = 0; s < steps.size() && s < step_colours.size(); ++s) legend(step_colours[s], steps[s]->name);
  legend("#7f8c99", "to device");
  legend("#b3a08c", "to host");
  out += "</svg>\n";
  detail::save_text(svg, out, "the timeline");
}

}  // namespace tessera
