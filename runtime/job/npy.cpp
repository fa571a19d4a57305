// NumPy .npy files: a bounds-checked header parser, reading, checking against buffers, writing.

#include "job/npy.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <fstream>
#include <optional>
#include <system_error>

#include "common/atomic_file.hpp"
#include "common/element_types.hpp"

namespace tessera::detail {
namespace {

static_assert(std::endian::native == std::endian::little, "host byte order is little-endian");

constexpr unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t max_dims = 64;  // NumPy's own limit (NPY_MAXDIMS)

[[noreturn]] void fail(std::string_view name, std::string_view message) {
  throw NpyError(fmt::format("{}: {}", name, message));
}

// Arbitrary bytes from a header, printable in a one-line message.
std::string printable(std::string_view text) {
  constexpr std::size_t max_shown = 40;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max_shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (text.size() > max_shown) out += "...";
  return out;
}

std::string shape_tuple(std::span<const std::size_t> shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  return fmt::format("({})", fmt::join(shape, ", "));
}

std::string shape_list(std::span<const std::size_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

std::string descr_of(ElementType type) {
  return fmt::format("{}{}", size_of(type) == 1 ? '|' : '<', info_of(type).dtype);
}

// The header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }, as Python's
// literal syntax writes it (either quote, optional trailing commas, any key order).
class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::string_view name) : text_(text), name_(name) {}

  void parse(NpyHeader& out) {
    std::optional<std::string_view> descr;
    std::optional<bool> fortran_order;
    std::optional<std::vector<std::size_t>> shape;
    skip_space();
    expect('{', "the header dict's '{'");
    for (;;) {
      skip_space();
      if (peek() == '}') break;
      const std::string_view key = string("a key");
      skip_space();
      expect(':', "':' after a key");
      skip_space();
      if (key == "descr") {
        if (descr) duplicate(key);
        if (peek() == '[') fail(name_, "structured dtypes (a list 'descr') are not supported");
        descr = string("a string for 'descr'");
      } else if (key == "fortran_order") {
        if (fortran_order) duplicate(key);
        fortran_order = boolean();
      } else if (key == "shape") {
        if (shape) duplicate(key);
        shape = tuple();
      } else {
        fail(name_, fmt::format("unexpected key '{}' in the header", printable(key)));
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') expected("',' or '}' in the header dict");
    }
    ++pos_;
    skip_space();
    if (pos_ != text_.size()) expected("the end of the header after the dict");
    if (!descr) fail(name_, "the header lacks 'descr'");
    if (!fortran_order) fail(name_, "the header lacks 'fortran_order'");
    if (!shape) fail(name_, "the header lacks 'shape'");
    if (*fortran_order) {
      fail(name_, "Fortran-order (column-major) arrays are not supported; save in C order");
    }
    set_dtype(*descr, out);
    out.shape = std::move(*shape);
  }

 private:
  // The next character, or '\0' at the end (never a valid token start).
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  [[noreturn]] void expected(std::string_view what) const {
    const std::string found = pos_ < text_.size()
                                  ? fmt::format("'{}'", printable(text_.substr(pos_, 1)))
                                  : std::string("the end");
    fail(name_,
         fmt::format("malformed header: expected {} at offset {}, found {}", what, pos_, found));
  }
  [[noreturn]] void duplicate(std::string_view key) const {
    fail(name_, fmt::format("the header has '{}' twice", key));
  }
  void expect(char c, std::string_view what) {
    if (peek() != c) expected(what);
    ++pos_;
  }

  std::string_view string(std::string_view what) {
    const char quote = peek();
    if (quote != '\'' && quote != '"') expected(what);
    const std::size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') fail(name_, "escapes in header strings are not supported");
      ++pos_;
    }
    if (pos_ == text_.size()) expected("the string's closing quote");
    return text_.substr(start, pos_++ - start);
  }

  bool boolean() {
    std::size_t end = pos_;
    while (end < text_.size() &&
           ((text_[end] >= 'a' && text_[end] <= 'z') || (text_[end] >= 'A' && text_[end] <= 'Z'))) {
      ++end;
    }
    const std::string_view word = text_.substr(pos_, end - pos_);
    if (word != "True" && word != "False") expected("True or False for 'fortran_order'");
    pos_ = end;
    return word == "True";
  }

  std::vector<std::size_t> tuple() {
    expect('(', "a tuple for 'shape'");
    std::vector<std::size_t> dims;
    bool comma = false;  // whether the last item was followed by a comma
    for (;;) {
      skip_space();
      if (peek() == ')') break;
      if (!dims.empty() && !comma) expected("',' or ')' in 'shape'");
      if (peek() < '0' || peek() > '9') expected("a non-negative integer in 'shape'");
      std::size_t value = 0;
      while (peek() >= '0' && peek() <= '9') {
        const auto digit = static_cast<std::size_t>(peek() - '0');
        if (value > (SIZE_MAX - digit) / 10) fail(name_, "a dimension in 'shape' is too large");
        value = value * 10 + digit;
        ++pos_;
      }
      if (peek() == 'L' || peek() == 'l') ++pos_;  // Python 2 long literals
      if (dims.size() == max_dims) {
        fail(name_, fmt::format("'shape' has more than {} dimensions", max_dims));
      }
      dims.push_back(value);
      skip_space();
      comma = peek() == ',';
      if (comma) ++pos_;
    }
    // "(3)" is the number 3 in Python, not a tuple.
    if (dims.size() == 1 && !comma) fail(name_, "'shape' is not a tuple: write (n,)");
    ++pos_;
    return dims;
  }

  void set_dtype(std::string_view descr, NpyHeader& out) const {
    const auto unsupported = [&]() {
      fail(name_, fmt::format("unsupported dtype '{}' (supported: i1 u1 i2 u2 i4 u4 i8 u8 f4 "
                              "f8, byte order < > | =)",
                              printable(descr)));
    };
    if (descr.size() != 3) unsupported();
    const char order = descr[0];
    if (order != '<' && order != '>' && order != '|' && order != '=') unsupported();
    for (const ElementTypeInfo& t : element_types) {
      if (descr.substr(1) == t.dtype) {
        out.type = t.type;
        // '|' ("not applicable") and '=' (native) both mean host order, little-endian here.
        out.big_endian = order == '>' && t.size > 1;
        return;
      }
    }
    unsupported();
  }

  std::string_view text_;
  std::string_view name_;
  std::size_t pos_ = 0;
};

// Whether the byte size of the nonzero dimensions fits in size_t (a zero dimension makes an
// empty array, but the other dimensions must still be sane).
bool sane_shape(ElementType type, std::span<const std::size_t> shape) {
  std::size_t bytes = size_of(type);
  for (const std::size_t d : shape) {
    if (d == 0) continue;
    if (bytes > SIZE_MAX / d) return false;
    bytes *= d;
  }
  return true;
}

// Magic, version and header length at the start of `bytes`: returns the data offset.
std::size_t header_extent(std::span<const unsigned char> bytes, std::string_view name,
                          int& version) {
  if (bytes.empty()) fail(name, "empty file, not an .npy");
  const std::size_t have_magic = std::min(bytes.size(), sizeof magic);
  if (!std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(have_magic), magic)) {
    fail(name, "not an .npy file (no \\x93NUMPY magic)");
  }
  if (bytes.size() < 10) fail(name, fmt::format("truncated header ({} bytes)", bytes.size()));
  const unsigned major = bytes[6];
  const unsigned minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0) {
    fail(name,
         fmt::format("unsupported .npy format version {}.{} (1.0, 2.0 and 3.0 are)", major, minor));
  }
  version = static_cast<int>(major);
  std::size_t prefix = 10;
  std::size_t length = bytes[8] | std::size_t{bytes[9]} << 8;
  if (major >= 2) {
    prefix = 12;
    if (bytes.size() < prefix) fail(name, fmt::format("truncated header ({} bytes)", bytes.size()));
    length |= std::size_t{bytes[10]} << 16 | std::size_t{bytes[11]} << 24;
  }
  return prefix + length;
}

// Checks that `available` data bytes are exactly what the header announces.
void check_data_size(const NpyHeader& header, std::size_t available, std::string_view name) {
  const std::size_t needed = header.data_bytes();
  if (available == needed) return;
  fail(name, fmt::format("{} data: shape {} of {} needs {} bytes, the file has {}",
                         available < needed ? "truncated" : "unexpected bytes after the",
                         shape_tuple(header.shape), numpy_name(header.type), needed, available));
}

void to_host_order(const NpyHeader& header, std::span<unsigned char> data) {
  const std::size_t size = size_of(header.type);
  if (!header.big_endian || size == 1) return;
  for (std::size_t i = 0; i + size <= data.size(); i += size) {
    std::reverse(data.begin() + static_cast<std::ptrdiff_t>(i),
                 data.begin() + static_cast<std::ptrdiff_t>(i + size));
  }
}

// The header of an array: magic, version, length, and the dict padded to 64 bytes.
std::string encode_header(ElementType type, std::span<const std::size_t> shape) {
  if (shape.size() > max_dims) {
    throw std::invalid_argument(fmt::format(".npy arrays have at most {} dimensions", max_dims));
  }
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                 descr_of(type), shape_tuple(shape));
  // Version 1.0 has a 16-bit header length; the total header is padded to 64 bytes with spaces
  // and ends in '\n'.
  std::size_t prefix = 10;
  std::size_t length = (prefix + dict.size() + 1 + 63) / 64 * 64 - prefix;
  if (length > 0xffff) {
    prefix = 12;
    length = (prefix + dict.size() + 1 + 63) / 64 * 64 - prefix;
  }
  dict.resize(length - 1, ' ');
  dict += '\n';
  std::string out(reinterpret_cast<const char*>(magic), sizeof magic);
  out += static_cast<char>(prefix == 10 ? 1 : 2);
  out += '\0';
  for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((length >> (8 * i)) & 0xff);
  return out + dict;
}

void check_encodable(ElementType type, std::span<const std::size_t> shape,
                     std::span<const unsigned char> bytes) {
  if (!sane_shape(type, shape)) {
    throw std::invalid_argument(fmt::format(".npy shape {} is too large", shape_list(shape)));
  }
  std::size_t count = 1;
  for (const std::size_t d : shape) count *= d;
  if (count * size_of(type) != bytes.size()) {
    throw std::invalid_argument(fmt::format(".npy shape {} of {} needs {} bytes, not {}",
                                            shape_list(shape), numpy_name(type),
                                            count * size_of(type), bytes.size()));
  }
}

std::vector<unsigned char> read_bytes(std::ifstream& in, std::size_t n, std::string_view name) {
  std::vector<unsigned char> out(n);
  if (!in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(n))) {
    fail(name, "cannot read the file");
  }
  return out;
}

}  // namespace

std::size_t NpyHeader::count() const noexcept {
  std::size_t n = 1;
  for (const std::size_t d : shape) n *= d;
  return n;
}

std::string_view numpy_name(ElementType type) noexcept { return info_of(type).numpy; }

NpyHeader parse_npy_header(std::span<const unsigned char> bytes, std::string_view name) {
  NpyHeader header;
  header.data_offset = header_extent(bytes, name, header.version);
  if (bytes.size() < header.data_offset) {
    fail(name, fmt::format("truncated header: it needs {} bytes, the file has {}",
                           header.data_offset, bytes.size()));
  }
  const std::size_t prefix = header.version == 1 ? 10 : 12;
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + prefix,
                              header.data_offset - prefix);
  HeaderParser(text, name).parse(header);
  if (!sane_shape(header.type, header.shape)) {
    fail(name, fmt::format("shape {} is too large", shape_tuple(header.shape)));
  }
  return header;
}

NpyHeader read_npy_header(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) fail(name, fmt::format("cannot read: {}", ec.message()));
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(name, "cannot open the file");
  const auto prefix =
      read_bytes(in, static_cast<std::size_t>(std::min<std::uintmax_t>(size, 12)), name);
  int version = 0;
  const std::size_t extent = header_extent(prefix, name, version);
  if (extent > size) {
    fail(name, fmt::format("truncated header: it needs {} bytes, the file has {}", extent, size));
  }
  in.seekg(0);
  const auto head = read_bytes(in, extent, name);
  NpyHeader header = parse_npy_header(head, name);
  check_data_size(header, static_cast<std::size_t>(size) - header.data_offset, name);
  return header;
}

NpyArray read_npy(std::span<const unsigned char> bytes, std::string_view name) {
  NpyArray array;
  array.header = parse_npy_header(bytes, name);
  check_data_size(array.header, bytes.size() - array.header.data_offset, name);
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(array.header.data_offset),
                    bytes.end());
  to_host_order(array.header, array.data);
  return array;
}

NpyArray read_npy(const std::filesystem::path& path) {
  NpyArray array;
  array.header = read_npy_header(path);
  array.data.resize(array.header.data_bytes());
  read_npy_data(path, array.header, array.data);
  return array;
}

void read_npy_data(const std::filesystem::path& path, const NpyHeader& header, std::span<unsigned char> out) {
  const std::string name = path.string();
  if (out.size() != header.data_bytes()) {
    fail(name, fmt::format("{} data bytes do not fit a destination of {}", header.data_bytes(), out.size()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(name, "cannot open the file");
  in.seekg(static_cast<std::streamoff>(header.data_offset));
  if (!in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size()))) {
    fail(name, "cannot read the file");
  }
  to_host_order(header, out);
}

void check_npy_matches(const NpyHeader& header, std::string_view file_name,
                       std::string_view buffer_name, ElementType type,
                       std::span<const std::size_t> shape) {
  if (header.type == type && std::ranges::equal(header.shape, shape)) return;
  throw NpyError(fmt::format("{} holds {} {}, buffer '{}' is {} {}", file_name,
                             numpy_name(header.type), shape_list(header.shape), buffer_name,
                             to_string(type), shape_list(shape)));
}

std::vector<unsigned char> encode_npy(ElementType type, std::span<const std::size_t> shape,
                                      std::span<const unsigned char> bytes) {
  check_encodable(type, shape, bytes);
  const std::string header = encode_header(type, shape);
  std::vector<unsigned char> out(header.begin(), header.end());
  out.insert(out.end(), bytes.begin(), bytes.end());
  return out;
}

void write_npy(AtomicFile& out, ElementType type, std::span<const std::size_t> shape,
               std::span<const unsigned char> bytes) {
  check_encodable(type, shape, bytes);
  out.write(encode_header(type, shape));
  out.write(bytes);
}

void write_npy(const std::filesystem::path& path, ElementType type,
               std::span<const std::size_t> shape, std::span<const unsigned char> bytes) {
  check_encodable(type, shape, bytes);
  AtomicFile out(path);
  write_npy(out, type, shape, bytes);
  out.commit();
}

}  // namespace tessera::detail
