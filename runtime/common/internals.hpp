#pragma once
// Internal: the one door from runtime/ into the private parts of the public types (each of them
// names detail::Internals its friend). Users of the library never see it.

#include <memory>
#include <utility>

#include "tessera/array.hpp"
#include "tessera/device.hpp"
#include "tessera/program.hpp"
#include "tessera/submission.hpp"

namespace tessera::detail {

struct Internals {
  static Device make_device(std::shared_ptr<const DeviceHandle> handle) { return Device(std::move(handle)); }
  static const DeviceHandle& handle(const Device& device) noexcept { return *device.handle_; }

  static Program make_program(std::shared_ptr<const ProgramHandle> handle) { return Program(std::move(handle)); }
  static const std::shared_ptr<const ProgramHandle>& handle(const Program& program) noexcept {
    return program.handle_;
  }

  static Submission make_submission(std::shared_ptr<RunState> run) { return Submission(std::move(run)); }
  static Submission make_submission(std::shared_ptr<TaskState> task) { return Submission(std::move(task)); }
  static const std::shared_ptr<TaskState>& task(const Submission& s) noexcept { return s.task_; }

  static ArrayBase make_array(std::shared_ptr<ArrayState> state) { return ArrayBase(std::move(state)); }
  static const std::shared_ptr<ArrayState>& state(const ArrayBase& array) noexcept { return array.state_; }
};

}  // namespace tessera::detail
