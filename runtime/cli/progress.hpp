#pragma once
// The command's progress display: an Observer of the runs that draws, on stderr, a bar when
// stderr is a terminal (redrawn five times a second, erased at the end) and otherwise a line
// every five seconds: indices of the split dimension done, each device's share, the rate and
// the time left.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tessera/observer.hpp"

namespace tessera::cli {

class Progress : public Observer {
 public:
  Progress();
  ~Progress() override;  ///< stops drawing and erases the bar
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void on_chunk(const ChunkEvent& e) override;
  /// A launch's chunks as `run` gives them (the job runner hands each repetition as it is waited
  /// for, when the display does not observe the runtime: tasks report their chunks no sooner).
  /// The runs of one job (from begin() on) share its devices, in the same order.
  void add(const RunStats& run);

  /// A job begins: `total` split indices to run (each step's extent times its repetitions).
  void begin(std::uint64_t total);
  /// The job has ended: the bar is erased, and nothing is drawn until the next begin().
  void end();

  /// The text of one display for `done` of `total` indices after `seconds`, with each device's
  /// indices (by label): for example "[#####.....] 50% 512/1024 · [0] 60% [1] 40% · 3.2e+04/s · 1 s left".
  static std::string line(std::uint64_t done, std::uint64_t total, double seconds,
                          const std::map<std::string, std::uint64_t>& devices, std::size_t width);

 private:
  /// `indices` more done on the device labelled `label` (mutex_ held).
  void count(std::string_view label, std::uint64_t indices);
  void draw(bool final);
  void loop();

  const bool terminal_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::uint64_t total_ = 0;
  std::uint64_t start_ns_ = 0;
  bool active_ = false;
  bool stop_ = false;
  bool drawn_ = false;
  std::uint64_t done_ = 0;
  std::map<std::string, std::uint64_t> devices_;
  std::vector<std::string> labels_;  ///< add(): the labels of the job's devices, by index
  std::thread thread_;
};

}  // namespace tessera::cli
