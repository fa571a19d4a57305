// Errors: the OpenCL status-name table against the installed headers, and what errors carry.

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "tessera/error.hpp"

namespace {

std::string read_header(const std::string& name) {
  const std::string path = std::string(TESSERA_CL_INCLUDE_DIR) + "/CL/" + name;
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every "#define CL_NAME <int>" line in `text`, as name -> value.
std::map<std::string, int> status_defines(const std::string& text) {
  std::map<std::string, int> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string directive, name, value, rest;
    if (!(words >> directive >> name >> value) || (words >> rest)) continue;
    if (directive != "#define" || name.rfind("CL_", 0) != 0) continue;
    const bool numeric = value.find_first_not_of("-0123456789") == std::string::npos &&
                         value.find_first_of("0123456789") != std::string::npos;
    if (numeric) out[name] = std::stoi(value);
  }
  return out;
}

}  // namespace

TEST_CASE("the status-name table covers every error code of CL/cl.h") {
  const std::string header = read_header("cl.h");
  const auto begin = header.find("/* Error Codes */");
  const auto end = header.find("/* cl_bool */", begin);
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  const auto codes = status_defines(header.substr(begin, end - begin));
  CHECK(codes.size() >= 60);  // the block holds CL_SUCCESS .. CL_MAX_SIZE_RESTRICTION_EXCEEDED
  for (const auto& code : codes) {
    const auto& name = code.first;  // INFO captures: no structured bindings (Clang 14)
    const auto value = code.second;
    INFO(name << " = " << value);
    CHECK(tessera::cl_status_name(value) == name);
  }
}

TEST_CASE("the status-name table covers the extension headers' error codes") {
  // Several extensions share a value (-1010 is both a KHR and an INTEL DX9 code): the table
  // must give one of the names defined for that value.
  std::map<int, std::set<std::string>> names_by_value;
  for (const char* file : {"cl_ext.h", "cl_gl.h", "cl_egl.h", "cl_d3d10.h", "cl_d3d11.h",
                           "cl_dx9_media_sharing.h", "cl_dx9_media_sharing_intel.h",
                           "cl_va_api_media_sharing_intel.h"}) {
    for (const auto& [name, value] : status_defines(read_header(file))) {
      if (value <= -1000) names_by_value[value].insert(name);
    }
  }
  CHECK(names_by_value.size() >= 30);
  for (const auto& entry : names_by_value) {
    const int value = entry.first;  // INFO captures: no structured bindings (Clang 14)
    const auto& names = entry.second;
    INFO("value " << value);
    CHECK(names.count(std::string(tessera::cl_status_name(value))) == 1);
  }
}

TEST_CASE("unknown statuses have a name, not a number") {
  CHECK(tessera::cl_status_name(-9999) == "CL_UNKNOWN_STATUS");
  CHECK(tessera::cl_status_name(1) == "CL_UNKNOWN_STATUS");
}

TEST_CASE("an OpenCL error names the call, the status and the device") {
  const tessera::Error e(tessera::Errc::opencl, "while sizing chunk 3", -5, "clEnqueueNDRangeKernel",
                         "pthread-cpu");
  CHECK(e.code() == tessera::Errc::opencl);
  CHECK(e.cl_status() == -5);
  CHECK(e.cl_status_name() == "CL_OUT_OF_RESOURCES");
  CHECK(e.api_call() == "clEnqueueNDRangeKernel");
  CHECK(e.device() == "pthread-cpu");
  CHECK(e.message() == "while sizing chunk 3");
  CHECK(std::string(e.what()) ==
        "clEnqueueNDRangeKernel failed: CL_OUT_OF_RESOURCES on 'pthread-cpu': while sizing chunk 3");
}

TEST_CASE("an error of our own is its message") {
  const tessera::Error e(tessera::Errc::invalid_selector, "bad selector");
  CHECK(std::string(e.what()) == "bad selector");
  CHECK(e.cl_status() == 0);
  CHECK(e.api_call().empty());
}

TEST_CASE("a build error keeps every device's log and is an Error") {
  std::vector<tessera::BuildError::DeviceLog> logs{{"dev A", "a.cl:3:1: error: x"},
                                                   {"dev B", "b log"}};
  try {
    throw tessera::BuildError("program 'a.cl' failed to build", logs, -11);
  } catch (const tessera::Error& e) {
    CHECK(e.code() == tessera::Errc::build_failure);
    CHECK(e.cl_status_name() == "CL_BUILD_PROGRAM_FAILURE");
    const auto* build = dynamic_cast<const tessera::BuildError*>(&e);
    REQUIRE(build != nullptr);
    REQUIRE(build->logs().size() == 2);
    CHECK(build->logs()[0].log == "a.cl:3:1: error: x");
    CHECK(build->logs()[1].device == "dev B");
  }
}

TEST_CASE("every Errc has a name") {
  using tessera::Errc;
  std::set<std::string_view> names;
  for (Errc c : {Errc::invalid_argument, Errc::invalid_selector, Errc::no_matching_device,
                 Errc::no_platform, Errc::opencl, Errc::build_failure, Errc::io, Errc::out_of_memory,
                 Errc::write_conflict}) {
    CHECK(tessera::errc_name(c) != "unknown");
    names.insert(tessera::errc_name(c));
  }
  CHECK(names.size() == 9);
}
