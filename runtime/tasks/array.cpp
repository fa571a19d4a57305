// Arrays: their state's lifetime and the public handle's methods.

#include <fmt/format.h>

#include <cstdlib>
#include <new>

#include "common/internals.hpp"
#include "tasks/array_state.hpp"
#include "tasks/task_engine.hpp"
#include "tessera/array.hpp"
#include "tessera/error.hpp"

namespace tessera {
namespace detail {

ArrayState::ArrayState(std::weak_ptr<TaskEngine> owner_, const TaskEngine* owner_id_, std::uint64_t number_,
                       std::size_t count_, ElementType type_, std::size_t devices, std::size_t nodes)
    : owner(std::move(owner_)),
      owner_id(owner_id_),
      number(number_),
      count(count_),
      type(type_),
      bytes(count_ * size_of(type_)),
      buffers(devices),
      last_use(devices, 0),
      written_in_place(devices, false),
      coherence(count_, nodes) {
  constexpr std::size_t page = 4096;
  host = static_cast<unsigned char*>(std::aligned_alloc(page, (bytes + page - 1) / page * page));
  if (host == nullptr) {
    throw Error(Errc::out_of_memory, fmt::format("array {}: {} bytes of host memory could not be allocated", number,
                                                 bytes));
  }
}

ArrayState::~ArrayState() {
  if (const auto engine = owner.lock()) engine->released(*this);
  buffers.clear();  // before the host memory that devices working in place use
  std::free(host);
}

void throw_array_type_mismatch(ElementType have, ElementType want) {
  throw Error(Errc::invalid_argument, fmt::format("the array holds {} elements, not {}", to_string(have), to_string(want)));
}

namespace {

std::shared_ptr<TaskEngine> engine_of(const std::shared_ptr<ArrayState>& state) {
  if (!state) throw Error(Errc::invalid_argument, "an empty Array handle (default-constructed or moved from)");
  const auto engine = state->owner.lock();
  if (!engine) throw Error(Errc::invalid_argument, "the array's runtime is gone: arrays cannot outlive their Runtime");
  return engine;
}

void require_bytes(const ArrayState& state, std::size_t bytes) {
  if (bytes != state.bytes) {
    throw Error(Errc::invalid_argument,
                fmt::format("array {} holds {} bytes; {} were given", state.number, state.bytes, bytes));
  }
}

}  // namespace
}  // namespace detail

std::size_t ArrayBase::size() const noexcept { return state_ ? state_->count : 0; }
ElementType ArrayBase::type() const noexcept { return state_ ? state_->type : ElementType::u8; }
std::size_t ArrayBase::bytes() const noexcept { return state_ ? state_->bytes : 0; }

void ArrayBase::read_bytes(void* out, std::size_t bytes) const {
  const auto engine = detail::engine_of(state_);
  detail::require_bytes(*state_, bytes);
  engine->read(*state_, out);
}

const void* ArrayBase::host_view() const { return detail::engine_of(state_)->host_view(*state_); }

void ArrayBase::write_bytes(const void* data, std::size_t bytes) {
  const auto engine = detail::engine_of(state_);
  detail::require_bytes(*state_, bytes);
  engine->write(*state_, data);
}

}  // namespace tessera
