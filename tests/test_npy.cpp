// NumPy .npy files: round trips for every element type, files laid out byte by byte as NumPy
// writes them (format 1.0, 2.0, 3.0, big-endian), each malformed file with its own error, the
// buffer check, and atomic writes that leave an existing file alone when they fail.

#include <doctest/doctest.h>

#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "common/atomic_file.hpp"
#include "job/npy.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using tessera::ElementType;
using tessera::detail::AtomicFile;
using tessera::detail::NpyError;
using tessera::detail::read_npy;
using tessera::detail::read_npy_header;
using tessera::detail::write_npy;

namespace {

using Bytes = std::vector<unsigned char>;
using Shape = std::vector<std::size_t>;

Bytes bytes_of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// An .npy image built by hand: magic, version major.0, little-endian header length (2 bytes in
// 1.0, 4 in 2.0 and 3.0), the dict padded with spaces to a multiple of 64 and '\n', then data.
Bytes npy_image(int major, std::string_view dict, const Bytes& data = {}) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::string header(dict);
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  Bytes out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(major), 0};
  for (std::size_t i = 0; i < prefix - 8; ++i) {
    out.push_back(static_cast<unsigned char>((header.size() >> (8 * i)) & 0xff));
  }
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

template <typename T>
Bytes raw(const std::vector<T>& values) {
  Bytes out(values.size() * sizeof(T));
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

template <typename T>
std::vector<T> values_of(const Bytes& data) {
  std::vector<T> out(data.size() / sizeof(T));
  std::memcpy(out.data(), data.data(), data.size());
  return out;
}

// The error reading `image` gives (fails the test if there is none).
std::string read_error(const Bytes& image) {
  try {
    read_npy(image, "a.npy");
  } catch (const NpyError& e) {
    return e.what();
  }
  FAIL("no error");
  return {};
}

void write_file(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

Bytes file_bytes(const fs::path& path) {
  return bytes_of(tessera::test::read_text(path));
}

std::size_t files_in(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

constexpr ElementType all_types[] = {
    ElementType::i8,  ElementType::u8,  ElementType::i16, ElementType::u16, ElementType::i32,
    ElementType::u32, ElementType::i64, ElementType::u64, ElementType::f32, ElementType::f64};

}  // namespace

TEST_CASE("every element type round-trips through a file, for 0-d, 1-d, 2-d and empty shapes") {
  tessera::test::TempDir dir;
  const Shape shapes[] = {{}, {5}, {2, 3}, {0}, {3, 0, 2}};
  for (const ElementType type : all_types) {
    for (const Shape& shape : shapes) {
      CAPTURE(tessera::to_string(type));
      CAPTURE(shape.size());
      std::size_t count = 1;
      for (const std::size_t d : shape) count *= d;
      Bytes data(count * tessera::size_of(type));
      for (std::size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<unsigned char>(i * 37 + 11);
      const fs::path path = dir / "a.npy";
      write_npy(path, type, shape, data);

      const Bytes image = file_bytes(path);
      REQUIRE(image.size() > 10);
      CHECK(image[6] == 1);  // format 1.0
      CHECK(image[7] == 0);
      const std::size_t header_len = image[8] | std::size_t{image[9]} << 8;
      CHECK((10 + header_len) % 64 == 0);
      CHECK(image[10 + header_len - 1] == '\n');

      const auto array = read_npy(path);
      CHECK(array.header.type == type);
      CHECK(array.header.shape == shape);
      CHECK(array.header.count() == count);
      CHECK(array.header.data_offset == 10 + header_len);
      CHECK_FALSE(array.header.big_endian);
      CHECK(array.data == data);
      CHECK(read_npy_header(path).shape == shape);
    }
  }
}

TEST_CASE("the header is laid out exactly as NumPy writes it") {
  const std::vector<double> values = {1.5, -2.0, 3.25};
  const Shape shape = {3};
  const Bytes image = tessera::detail::encode_npy(ElementType::f64, shape, raw(values));
  CHECK(image ==
        npy_image(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", raw(values)));
  CHECK(image.size() == 128 + 24);

  const Shape matrix = {2, 3};
  CHECK(tessera::detail::encode_npy(ElementType::u8, matrix, Bytes(6, 7)) ==
        npy_image(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", Bytes(6, 7)));
  const Bytes scalar = raw(std::vector<std::int32_t>{-5});
  CHECK(tessera::detail::encode_npy(ElementType::i32, {}, scalar) ==
        npy_image(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (), }", scalar));
}

TEST_CASE("files in formats 1.0, 2.0 and 3.0, in the variants Python's syntax allows") {
  SUBCASE("1.0, 2-D float32") {
    const std::vector<float> v = {1, 2, 3, 4, 5, 6};
    const auto a = read_npy(
        npy_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", raw(v)),
        "m.npy");
    CHECK(a.header.version == 1);
    CHECK(a.header.type == ElementType::f32);
    CHECK(a.header.shape == Shape{2, 3});
    CHECK(a.header.data_offset == 128);
    CHECK(values_of<float>(a.data) == v);
  }
  SUBCASE("2.0, int64") {
    const std::vector<std::int64_t> v = {-1, 0, INT64_MAX};
    const auto a =
        read_npy(npy_image(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", raw(v)),
                 "v2.npy");
    CHECK(a.header.version == 2);
    CHECK(a.header.data_offset == 128);
    CHECK(values_of<std::int64_t>(a.data) == v);
  }
  SUBCASE("3.0, uint16") {
    const std::vector<std::uint16_t> v = {1, 65535};
    const auto a =
        read_npy(npy_image(3, "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", raw(v)),
                 "v3.npy");
    CHECK(a.header.version == 3);
    CHECK(values_of<std::uint16_t>(a.data) == v);
  }
  SUBCASE("big-endian data is byte-swapped to host order") {
    const Bytes be_i32 = {0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xfe, 0x12, 0x34, 0x56, 0x78};
    const auto a =
        read_npy(npy_image(1, "{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }", be_i32),
                 "be.npy");
    CHECK(a.header.big_endian);
    CHECK(values_of<std::int32_t>(a.data) == std::vector<std::int32_t>{1, -2, 0x12345678});
    const Bytes be_f64 = {0x3f, 0xf8, 0, 0, 0, 0, 0, 0};  // 1.5
    const auto b = read_npy(
        npy_image(2, "{'descr': '>f8', 'fortran_order': False, 'shape': (), }", be_f64), "be.npy");
    CHECK(values_of<double>(b.data) == std::vector<double>{1.5});
    const auto c = read_npy(
        npy_image(1, "{'descr': '>u1', 'fortran_order': False, 'shape': (1,), }", Bytes{200}),
        "be.npy");
    CHECK_FALSE(c.header.big_endian);
    CHECK(c.data == Bytes{200});
  }
  SUBCASE("'=' and '|' mean host order") {
    const auto a =
        read_npy(npy_image(1, "{'descr': '=u4', 'fortran_order': False, 'shape': (1,), }",
                           raw(std::vector<std::uint32_t>{7})),
                 "n.npy");
    CHECK(a.header.type == ElementType::u32);
    CHECK(values_of<std::uint32_t>(a.data) == std::vector<std::uint32_t>{7});
    CHECK(read_npy(npy_image(1, "{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }",
                             Bytes{1, 255}),
                   "n.npy")
              .header.type == ElementType::i8);
  }
  SUBCASE("key order, double quotes, no trailing comma, spacing, Python 2 longs") {
    const auto a = read_npy(
        npy_image(1, "{ \"shape\" :(2L,1L) ,\"fortran_order\":False,'descr':'<u8'}", Bytes(16, 0)),
        "k.npy");
    CHECK(a.header.type == ElementType::u64);
    CHECK(a.header.shape == Shape{2, 1});
    const auto b = read_npy(
        npy_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ( 4 , ), }", Bytes(16, 0)),
        "k.npy");
    CHECK(b.header.shape == Shape{4});
  }
}

TEST_CASE("each malformed file gives its own error, naming the file") {
  const auto dict = [](std::string_view descr, std::string_view order, std::string_view shape) {
    return "{'descr': '" + std::string(descr) + "', 'fortran_order': " + std::string(order) +
           ", 'shape': " + std::string(shape) + ", }";
  };
  const Bytes f4x2(8, 0);
  CHECK(read_error({}) == "a.npy: empty file, not an .npy");
  CHECK(read_error(bytes_of("PK\x03\x04 not numpy")) ==
        "a.npy: not an .npy file (no \\x93NUMPY magic)");
  CHECK(read_error({0x93, 'N', 'U', 'M'}) == "a.npy: truncated header (4 bytes)");
  CHECK(read_error({0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0x40}) ==
        "a.npy: truncated header (9 bytes)");
  CHECK(read_error({0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0x40, 0}) ==
        "a.npy: truncated header (10 bytes)");

  Bytes v4 = npy_image(1, dict("<f4", "False", "(2,)"), f4x2);
  v4[6] = 4;
  CHECK(read_error(v4) == "a.npy: unsupported .npy format version 4.0 (1.0, 2.0 and 3.0 are)");
  Bytes v11 = npy_image(1, dict("<f4", "False", "(2,)"), f4x2);
  v11[7] = 1;
  CHECK(read_error(v11) == "a.npy: unsupported .npy format version 1.1 (1.0, 2.0 and 3.0 are)");

  Bytes long_header = npy_image(1, dict("<f4", "False", "(2,)"));
  REQUIRE(long_header[8] == 118);
  long_header[9] = 0x10;  // header length 0x1076
  CHECK(read_error(long_header) ==
        "a.npy: truncated header: it needs 4224 bytes, the file has 128");
  Bytes huge_v2 = npy_image(2, dict("<f4", "False", "(2,)"));
  huge_v2[11] = 0xff;
  CHECK(read_error(huge_v2) ==
        "a.npy: truncated header: it needs 4278190208 bytes, the file has 128");

  CHECK(read_error(npy_image(1, dict("<f4", "True", "(2,)"), f4x2)) ==
        "a.npy: Fortran-order (column-major) arrays are not supported; save in C order");
  CHECK(read_error(npy_image(1, dict("<f2", "False", "(2,)"), f4x2)) ==
        "a.npy: unsupported dtype '<f2' (supported: i1 u1 i2 u2 i4 u4 i8 u8 f4 f8, byte order < > "
        "| =)");
  CHECK(read_error(npy_image(1, dict("<c8", "False", "(2,)"), f4x2))
            .find("unsupported dtype '<c8'") != std::string::npos);
  CHECK(read_error(npy_image(1, dict("|b1", "False", "(2,)"), f4x2))
            .find("unsupported dtype '|b1'") != std::string::npos);
  CHECK(
      read_error(npy_image(1, dict("f4", "False", "(2,)"), f4x2)).find("unsupported dtype 'f4'") !=
      std::string::npos);
  CHECK(read_error(npy_image(1, dict("!f4", "False", "(2,)"), f4x2))
            .find("unsupported dtype '!f4'") != std::string::npos);
  CHECK(read_error(npy_image(
            1, "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (2,), }", f4x2)) ==
        "a.npy: structured dtypes (a list 'descr') are not supported");

  CHECK(read_error(npy_image(1, "{'descr': '<f4', 'shape': (2,), }", f4x2)) ==
        "a.npy: the header lacks 'fortran_order'");
  CHECK(read_error(npy_image(1, "{'fortran_order': False, 'shape': (2,), }", f4x2)) ==
        "a.npy: the header lacks 'descr'");
  CHECK(read_error(npy_image(1, "{'descr': '<f4', 'fortran_order': False}", f4x2)) ==
        "a.npy: the header lacks 'shape'");
  CHECK(read_error(npy_image(
            1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", f4x2)) ==
        "a.npy: the header has 'descr' twice");
  CHECK(read_error(npy_image(
            1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", f4x2)) ==
        "a.npy: unexpected key 'extra' in the header");
  CHECK(read_error(npy_image(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", f4x2)) ==
        "a.npy: malformed header: expected True or False for 'fortran_order' at offset 34, found "
        "'0'");
  CHECK(read_error(npy_image(1, "{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", f4x2)) ==
        "a.npy: malformed header: expected ',' or '}' in the header dict at offset 16, found '''");
  CHECK(read_error(npy_image(1, "{'descr': '<f4, 'fortran_order': False}")) ==
        "a.npy: malformed header: expected ',' or '}' in the header dict at offset 17, found 'f'");
  CHECK(read_error(npy_image(1, "{'descr': '<f4", f4x2)) ==
        "a.npy: malformed header: expected the string's closing quote at offset 54, found the end");
  CHECK(read_error(npy_image(1, "{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2,)}",
                             f4x2)) == "a.npy: escapes in header strings are not supported");
  CHECK(read_error(npy_image(1, dict("<f4", "False", "(2,)") + " x", f4x2)) ==
        "a.npy: malformed header: expected the end of the header after the dict at offset 58, "
        "found 'x'");
  CHECK(read_error(npy_image(1, "[]", f4x2)) ==
        "a.npy: malformed header: expected the header dict's '{' at offset 0, found '['");

  CHECK(read_error(npy_image(1, dict("<f4", "False", "(2)"), f4x2)) ==
        "a.npy: 'shape' is not a tuple: write (n,)");
  CHECK(read_error(npy_image(1, dict("<f4", "False", "[2]"), f4x2)) ==
        "a.npy: malformed header: expected a tuple for 'shape' at offset 50, found '['");
  CHECK(read_error(npy_image(1, dict("<f4", "False", "(-2,)"), f4x2)) ==
        "a.npy: malformed header: expected a non-negative integer in 'shape' at offset 51, found "
        "'-'");
  CHECK(read_error(npy_image(1, dict("<f4", "False", "(2 2)"), f4x2)) ==
        "a.npy: malformed header: expected ',' or ')' in 'shape' at offset 53, found '2'");
  CHECK(read_error(npy_image(1, dict("<f4", "False", "(2,,)"), f4x2))
            .find("expected a non-negative integer") != std::string::npos);
  CHECK(read_error(npy_image(1, dict("<f4", "False", "(99999999999999999999,)"), f4x2)) ==
        "a.npy: a dimension in 'shape' is too large");
  CHECK(read_error(npy_image(1, dict("<f4", "False", "(4294967296, 4294967296)"), f4x2)) ==
        "a.npy: shape (4294967296, 4294967296) is too large");
  CHECK(read_error(npy_image(1, dict("<f8", "False", "(2305843009213693952,)"), f4x2)) ==
        "a.npy: shape (2305843009213693952,) is too large");
  std::string dims65 = "(";
  for (int i = 0; i < 65; ++i) dims65 += "1,";
  CHECK(read_error(npy_image(1, dict("<f4", "False", dims65 + ")"), Bytes(4))) ==
        "a.npy: 'shape' has more than 64 dimensions");

  CHECK(read_error(npy_image(1, dict("<f8", "False", "(100,)"), Bytes(400))) ==
        "a.npy: truncated data: shape (100,) of float64 needs 800 bytes, the file has 400");
  CHECK(read_error(npy_image(1, dict("<i2", "False", "(2, 2)"), Bytes(9))) ==
        "a.npy: unexpected bytes after the data: shape (2, 2) of int16 needs 8 bytes, the file has "
        "9");
  CHECK(read_error(npy_image(1, dict("<i2", "False", "()"), Bytes{})) ==
        "a.npy: truncated data: shape () of int16 needs 2 bytes, the file has 0");
  CHECK(read_npy(npy_image(1, dict("<f8", "False", "(0, 4294967296)")), "a.npy").data.empty());
}

TEST_CASE("reading from a path checks the file size against the header") {
  tessera::test::TempDir dir;
  write_file(dir / "short.npy",
             npy_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", Bytes(8)));
  const std::string name = (dir / "short.npy").string();
  CHECK_THROWS_WITH_AS(
      read_npy_header(dir / "short.npy"),
      (name + ": truncated data: shape (3,) of float32 needs 12 bytes, the file has 8").c_str(),
      NpyError);
  CHECK_THROWS_WITH_AS(
      read_npy(dir / "short.npy"),
      (name + ": truncated data: shape (3,) of float32 needs 12 bytes, the file has 8").c_str(),
      NpyError);
  CHECK_THROWS_WITH_AS(
      read_npy(dir / "missing.npy"),
      ((dir / "missing.npy").string() + ": cannot read: No such file or directory").c_str(),
      NpyError);
  const Bytes whole = npy_image(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }");
  write_file(dir / "cut.npy", Bytes(whole.begin(), whole.begin() + 30));
  CHECK_THROWS_WITH_AS(
      read_npy(dir / "cut.npy"),
      ((dir / "cut.npy").string() + ": truncated header: it needs 128 bytes, the file has 30")
          .c_str(),
      NpyError);
  write_file(dir / "be.npy",
             npy_image(2, "{'descr': '>u2', 'fortran_order': False, 'shape': (2,), }",
                       Bytes{0x01, 0x02, 0xff, 0x00}));
  const auto be = read_npy(dir / "be.npy");
  CHECK(values_of<std::uint16_t>(be.data) == std::vector<std::uint16_t>{0x0102, 0xff00});
}

TEST_CASE("an .npy is checked against the buffer it initialises; the error names both") {
  tessera::detail::NpyHeader header;
  header.type = ElementType::f64;
  header.shape = {100};
  const Shape n1000 = {1000};
  const Shape n100 = {100};
  const Shape m10x10 = {10, 10};
  CHECK_THROWS_WITH_AS(
      tessera::detail::check_npy_matches(header, "x.npy", "x", ElementType::f32, n1000),
      "x.npy holds float64 [100], buffer 'x' is float [1000]", NpyError);
  CHECK_THROWS_WITH_AS(
      tessera::detail::check_npy_matches(header, "x.npy", "x", ElementType::f32, n100),
      "x.npy holds float64 [100], buffer 'x' is float [100]", NpyError);
  CHECK_THROWS_WITH_AS(
      tessera::detail::check_npy_matches(header, "x.npy", "img", ElementType::f64, m10x10),
      "x.npy holds float64 [100], buffer 'img' is double [10, 10]", NpyError);
  CHECK_NOTHROW(tessera::detail::check_npy_matches(header, "x.npy", "x", ElementType::f64, n100));
  header.shape = {};
  header.big_endian = true;
  CHECK_NOTHROW(
      tessera::detail::check_npy_matches(header, "s.npy", "s", ElementType::f64, Shape{}));
}

TEST_CASE("writing refuses data that does not match the shape") {
  tessera::test::TempDir dir;
  const Shape shape = {3};
  CHECK_THROWS_WITH_AS(write_npy(dir / "a.npy", ElementType::f32, shape, Bytes(8)),
                       ".npy shape [3] of float32 needs 12 bytes, not 8", std::invalid_argument);
  const Shape huge = {SIZE_MAX / 2, 4};
  CHECK_THROWS_AS(write_npy(dir / "a.npy", ElementType::u8, huge, Bytes{}), std::invalid_argument);
  const Shape many(65, 1);
  CHECK_THROWS_AS(write_npy(dir / "a.npy", ElementType::u8, many, Bytes(1)), std::invalid_argument);
  CHECK(files_in(dir.path()) == 0);
}

TEST_CASE("atomic writes: an existing file is replaced whole or left untouched") {
  tessera::test::TempDir dir;
  const fs::path target = dir / "y.npy";
  const Bytes old_contents = bytes_of("the previous output");
  const std::vector<float> values(1000, 2.5f);
  const Shape shape = {values.size()};

  SUBCASE("a successful write replaces it and leaves no temporary file") {
    write_file(target, old_contents);
    write_npy(target, ElementType::f32, shape, raw(values));
    CHECK(values_of<float>(read_npy(target).data) == values);
    CHECK(files_in(dir.path()) == 1);
  }
  SUBCASE("a writer abandoned before commit leaves it untouched") {
    write_file(target, old_contents);
    fs::path temp;
    {
      AtomicFile out(target);
      temp = out.temp_path();
      CHECK(temp.parent_path() == dir.path());
      out.write(std::string_view("half of the new"));
      CHECK(fs::exists(temp));
    }
    CHECK_FALSE(fs::exists(temp));
    CHECK(file_bytes(target) == old_contents);
    CHECK(files_in(dir.path()) == 1);
  }
  SUBCASE("a write that fails half-way (file size limit) leaves it untouched") {
    write_file(target, old_contents);
    // RLIMIT_FSIZE makes write() fail with EFBIG even for root; SIGXFSZ would kill the process.
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = 1000;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::string message;
    int code = 0;
    try {
      write_npy(target, ElementType::f32, shape, raw(values));
    } catch (const std::system_error& e) {
      message = e.what();
      code = e.code().value();
    }
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previous_handler);
    CHECK(code == EFBIG);
    CHECK(message.rfind("cannot write '" + target.string() + "': ", 0) == 0);
    CHECK(file_bytes(target) == old_contents);
    CHECK(files_in(dir.path()) == 1);
  }
  SUBCASE("a rename that fails (a folder is in the way) leaves no temporary file") {
    fs::create_directories(target / "inside");
    CHECK_THROWS_AS(write_npy(target, ElementType::f32, shape, raw(values)), std::system_error);
    CHECK(fs::is_directory(target / "inside"));
    CHECK(files_in(dir.path()) == 1);
  }
  SUBCASE("a folder that does not exist is an error naming the file") {
    const fs::path nowhere = dir / "no" / "such" / "y.npy";
    CHECK_THROWS_WITH_AS(
        write_npy(nowhere, ElementType::f32, shape, raw(values)),
        ("cannot write '" + nowhere.string() + "': No such file or directory").c_str(),
        std::system_error);
    CHECK(files_in(dir.path()) == 0);
  }
}
