#pragma once
// Internal: NumPy .npy files
// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html).
//
// Reading accepts format versions 1.0, 2.0 and 3.0, C order only, with the dtypes of Tessera's
// element types: i1 u1 i2 u2 i4 u4 i8 u8 f4 f8, byte order '<', '>', '|' or '='. Big-endian
// ('>') data is byte-swapped on reading, so NpyArray::data is always in host (little-endian)
// order. Everything is checked before any data is trusted: magic, version, header length, the
// header dict (exactly the keys 'descr', 'fortran_order' and 'shape'), the shape (at most 64
// dimensions, element count and byte size within 64 bits) and the data size, which must be
// exactly shape x itemsize. Writing produces format 1.0 (2.0 if the header ever outgrew 1.0's
// 16-bit length), little-endian, padded to 64 bytes as NumPy does.

#include <cstddef>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/atomic_file.hpp"
#include "tessera/buffer.hpp"

namespace tessera::detail {

/// A file (or memory block) that is not a valid .npy of a supported kind, or cannot be read.
/// what() is one line beginning with the file's name: "x.npy: truncated header ...".
class NpyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct NpyHeader {
  ElementType type = ElementType::u8;
  bool big_endian = false;         ///< the file's data is big-endian ('>')
  std::vector<std::size_t> shape;  ///< empty for a 0-d array (one element)
  int version = 1;                 ///< format major version: 1, 2 or 3
  std::size_t data_offset = 0;     ///< bytes before the data: magic, version, length, header

  /// Elements: the product of shape (1 for a 0-d array).
  std::size_t count() const noexcept;
  std::size_t data_bytes() const noexcept { return count() * size_of(type); }
};

struct NpyArray {
  NpyHeader header;
  std::vector<unsigned char> data;  ///< header.data_bytes() bytes, host byte order
};

/// Parses the header at the start of `bytes`; `name` labels messages. `bytes` may end anywhere
/// after the header (the data is not looked at). Throws NpyError.
NpyHeader parse_npy_header(std::span<const unsigned char> bytes, std::string_view name);
/// The header of the file at `path`, checking also that the file holds exactly the data the
/// header announces; the data itself is not read. Throws NpyError.
NpyHeader read_npy_header(const std::filesystem::path& path);

/// A whole .npy held in memory; `name` labels messages. Throws NpyError.
NpyArray read_npy(std::span<const unsigned char> bytes, std::string_view name);
/// The .npy file at `path`. Throws NpyError.
NpyArray read_npy(const std::filesystem::path& path);
/// The data of the .npy file at `path`, whose header read_npy_header gave, read straight into
/// `out` (header.data_bytes() bytes) in host byte order. Throws NpyError when the file cannot be
/// read or no longer holds exactly that data.
void read_npy_data(const std::filesystem::path& path, const NpyHeader& header, std::span<unsigned char> out);

/// Checks that an .npy matches a buffer: same element type (byte order aside) and same shape.
/// Throws NpyError naming both, for example
/// "x.npy holds float64 [100], buffer 'x' is float [1000]".
void check_npy_matches(const NpyHeader& header, std::string_view file_name,
                       std::string_view buffer_name, ElementType type,
                       std::span<const std::size_t> shape);

/// NumPy's name of an element type: "int8", "uint8", ..., "float32", "float64".
std::string_view numpy_name(ElementType type) noexcept;

/// A complete .npy image: header then `bytes` (host order, shape x itemsize bytes). Throws
/// std::invalid_argument when the sizes disagree or the shape is beyond the format's limits.
std::vector<unsigned char> encode_npy(ElementType type, std::span<const std::size_t> shape,
                                      std::span<const unsigned char> bytes);

/// Writes an .npy file atomically (see atomic_file.hpp): an existing file at `path` is replaced
/// only by a complete new one. Throws std::invalid_argument as encode_npy does, and
/// std::system_error naming `path` when the file cannot be written.
void write_npy(const std::filesystem::path& path, ElementType type,
               std::span<const std::size_t> shape, std::span<const unsigned char> bytes);
/// Writes the .npy file into `out` (not committed).
void write_npy(AtomicFile& out, ElementType type, std::span<const std::size_t> shape,
               std::span<const unsigned char> bytes);

}  // namespace tessera::detail
