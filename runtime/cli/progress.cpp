#include "cli/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace tessera::cli {

Progress::Progress() : terminal_(::isatty(STDERR_FILENO) == 1), thread_([this] { loop(); }) {}

Progress::~Progress() {
  end();
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Progress::begin(std::uint64_t total) {
  const std::lock_guard lock(mutex_);
  total_ = total;
  done_ = 0;
  devices_.clear();
  labels_.clear();
  start_ns_ = host_clock_ns();
  active_ = true;
  drawn_ = false;
}

void Progress::end() {
  const std::lock_guard lock(mutex_);
  if (active_ && terminal_ && drawn_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
  }
  active_ = false;
}

void Progress::count(std::string_view label, std::uint64_t indices) {
  if (!active_) return;
  done_ += indices;
  devices_[std::string(label)] += indices;
  // The bar appears with the first chunk, drawn here: a woken drawing thread could lose the
  // lock to end() when a short job finishes at once.
  if (!drawn_ && terminal_) draw(false);
}

void Progress::on_chunk(const ChunkEvent& e) {
  const std::lock_guard lock(mutex_);
  count(e.device_name.substr(0, e.device_name.find(' ')), e.chunk.size);
}

void Progress::add(const RunStats& run) {
  const std::lock_guard lock(mutex_);
  if (labels_.size() != run.devices.size()) {  // the job's devices, once
    labels_.clear();
    for (const DeviceRunStats& d : run.devices) labels_.push_back(d.device.info().label());
  }
  for (std::size_t d = 0; d < run.devices.size(); ++d) {
    if (run.devices[d].chunks == 0) continue;
    std::uint64_t indices = 0;
    for (const ChunkRecord& r : run.ledger) indices += r.chunk.device == d ? r.chunk.size : 0;
    count(labels_[d], indices);
  }
}

std::string Progress::line(std::uint64_t done, std::uint64_t total, double seconds,
                           const std::map<std::string, std::uint64_t>& devices, std::size_t width) {
  const double fraction = total > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total)) : 0;
  const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(width));
  std::string shares;
  for (const auto& [label, n] : devices) {
    shares += fmt::format(" [{}] {:.0f}%", label, done > 0 ? 100.0 * static_cast<double>(n) / static_cast<double>(done) : 0);
  }
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  const std::string left = rate > 0 && done < total
                               ? fmt::format("{:.0f} s left", static_cast<double>(total - done) / rate)
                               : std::string("--");
  return fmt::format("[{}{}] {:3.0f}% {}/{} ·{} · {:.3g}/s · {}", std::string(filled, '#'),
                     std::string(width - filled, '.'), 100 * fraction, done, total, shares, rate, left);
}

void Progress::draw(bool final) {
  const double seconds = static_cast<double>(host_clock_ns() - start_ns_) / 1e9;
  const std::string text = line(done_, total_, seconds, devices_, 30);
  if (terminal_) {
    fmt::print(stderr, "\r\033[K{}", text);
  } else if (!final) {
    fmt::print(stderr, "progress: {}\n", text);
  }
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::loop() {
  using namespace std::chrono_literals;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, terminal_ ? 200ms : 5s, [this] { return stop_; });
    if (stop_) break;
    if (active_ && done_ > 0) draw(false);
  }
}

}  // namespace tessera::cli
