// libFuzzer target: the in-memory .npy reader on arbitrary bytes. Every input must either be read
// or be refused with NpyError; an array that is read must come back unchanged from encode_npy.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "job/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tessera::detail::NpyArray;
  NpyArray array;
  try {
    array = tessera::detail::read_npy(std::span<const unsigned char>(data, size), "fuzz.npy");
  } catch (const tessera::detail::NpyError&) {
    return 0;
  }
  if (array.data.size() != array.header.data_bytes()) std::abort();
  const auto image = tessera::detail::encode_npy(array.header.type, array.header.shape, array.data);
  const NpyArray again = tessera::detail::read_npy(image, "again.npy");
  if (again.header.type != array.header.type || again.header.shape != array.header.shape ||
      again.data != array.data || again.header.big_endian) {
    std::abort();
  }
  return 0;
}
