// Device selectors: every term form, exclusion, both error kinds; on made-up device lists and
// on the devices of the current topology.

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "support/topology.hpp"
#include "tessera/tessera.hpp"

using tessera::DeviceInfo;
using tessera::DeviceType;
using tessera::Errc;
using tessera::Selector;

namespace {

DeviceInfo info(std::size_t index, DeviceType type, std::string platform, std::string name) {
  DeviceInfo i;
  i.index = index;
  i.type = type;
  i.platform_name = std::move(platform);
  i.name = std::move(name);
  return i;
}

// A machine with a PoCL CPU, Oclgrind (which reports every type bit), a GPU and an accelerator.
const std::vector<DeviceInfo>& machine() {
  static const std::vector<DeviceInfo> m{
      info(0, DeviceType::cpu, "Portable Computing Language", "pthread-skylake"),
      info(1, DeviceType::cpu | DeviceType::gpu | DeviceType::accelerator, "Oclgrind",
           "Oclgrind Simulator"),
      info(2, DeviceType::gpu, "NVIDIA CUDA", "NVIDIA GeForce RTX 4090"),
      info(3, DeviceType::accelerator, "Intel(R) FPGA SDK", "Arria 10"),
  };
  return m;
}

std::vector<std::size_t> picked(std::string_view text) {
  const Selector s = Selector::parse(text);
  std::vector<std::size_t> out;
  for (const auto& d : machine()) {
    if (s.matches(d)) out.push_back(d.index);
  }
  return out;
}

using Indices = std::vector<std::size_t>;

Errc parse_error(std::string_view text, std::string* message = nullptr) {
  try {
    (void)Selector::parse(text);
  } catch (const tessera::Error& e) {
    if (message != nullptr) *message = e.what();
    return e.code();
  }
  FAIL("selector '" << text << "' parsed, but must not");
  return Errc::opencl;
}

}  // namespace

TEST_CASE("selector terms pick devices") {
  CHECK(picked("all") == Indices{0, 1, 2, 3});
  CHECK(picked("cpu") == Indices{0, 1});
  CHECK(picked("gpu") == Indices{1, 2});
  CHECK(picked("accelerator") == Indices{1, 3});
  CHECK(picked("2") == Indices{2});
  CHECK(picked("platform=portable") == Indices{0});
  CHECK(picked("name=GEFORCE") == Indices{2});
  CHECK(picked("NAME=oclgrind") == Indices{1});
  CHECK(picked("CPU") == Indices{0, 1});
}

TEST_CASE("selector terms form a union, exclusions subtract") {
  CHECK(picked("0,2") == Indices{0, 2});
  CHECK(picked("3,0") == Indices{0, 3});  // discovery order, not selector order
  CHECK(picked("cpu,gpu") == Indices{0, 1, 2});
  CHECK(picked("all,-name=oclgrind") == Indices{0, 2, 3});
  CHECK(picked("-gpu") == Indices{0, 3});  // exclusions only: start from all
  CHECK(picked("cpu,-1") == Indices{0});
  CHECK(picked("-platform=nvidia,-3") == Indices{0, 1});
  CHECK(picked(" cpu , gpu ") == Indices{0, 1, 2});
  CHECK(picked("all,-all").empty());
}

TEST_CASE("an index covers a device and its sub-devices; INDEX.SUB one sub-device") {
  auto part = [](std::size_t index, int sub) {
    DeviceInfo i = info(index, DeviceType::cpu, "Portable Computing Language", "pthread-skylake");
    i.sub_device = sub;
    return i;
  };
  const std::vector<DeviceInfo> split{part(0, 0), part(0, 1), machine()[1]};
  const auto picked_of = [&](std::string_view text) {
    const Selector s = Selector::parse(text);
    std::vector<std::string> out;
    for (const auto& d : split) {
      if (s.matches(d)) out.push_back(d.label());
    }
    return out;
  };
  using Labels = std::vector<std::string>;
  CHECK(picked_of("0.1") == Labels{"0.1"});
  CHECK(picked_of("0") == Labels{"0.0", "0.1"});
  CHECK(picked_of("all,-0.0") == Labels{"0.1", "1"});
  CHECK(picked_of("1.0").empty());  // device 1 has no sub-devices
  CHECK(picked_of("0.2").empty());

  const Selector s = Selector::parse("2.10");
  CHECK(s.terms()[0].kind == tessera::SelectorTerm::Kind::index);
  CHECK(s.terms()[0].index == 2);
  CHECK(s.terms()[0].sub_device == 10);
  CHECK(Selector::parse("2").terms()[0].sub_device == -1);

  // The devices worth splitting: those the selector may take a part of.
  const DeviceInfo root0 = part(0, -1);
  CHECK_FALSE(Selector::parse("0.1").matches(root0));
  CHECK(Selector::parse("0.1").may_pick_parts_of(root0));
  CHECK(Selector::parse("all,-0.1").may_pick_parts_of(root0));
  CHECK_FALSE(Selector::parse("1.0").may_pick_parts_of(root0));
  CHECK_FALSE(Selector::parse("0.1,-cpu").may_pick_parts_of(root0));
  CHECK_FALSE(Selector::parse("-0").may_pick_parts_of(root0));
}

TEST_CASE("selector terms are recorded as parsed") {
  const Selector s = Selector::parse("gpu,-name=Sim,7,platform=X");
  REQUIRE(s.terms().size() == 4);
  CHECK(s.terms()[0].kind == tessera::SelectorTerm::Kind::type);
  CHECK(s.terms()[0].type == DeviceType::gpu);
  CHECK(s.terms()[1].kind == tessera::SelectorTerm::Kind::name);
  CHECK(s.terms()[1].exclude);
  CHECK(s.terms()[1].text == "sim");
  CHECK(s.terms()[2].kind == tessera::SelectorTerm::Kind::index);
  CHECK(s.terms()[2].index == 7);
  CHECK(s.terms()[3].kind == tessera::SelectorTerm::Kind::platform);
}

TEST_CASE("a selector with a syntax error names the bad token") {
  struct Case {
    const char* text;
    const char* token;
  };
  for (const Case c : {Case{"gpx", "'gpx'"}, Case{"cpu,gpx", "'gpx'"}, Case{"cpu,,gpu", "''"},
                       Case{"vendor=intel", "'vendor=intel'"}, Case{"name=", "'name='"},
                       Case{"1x", "'1x'"}, Case{"-", "'-'"}, Case{"all,-foo", "'-foo'"},
                       Case{"99999999999999999999999", "'99999999999999999999999'"}, Case{"0.", "'0.'"},
                       Case{"0.x", "'0.x'"}, Case{"0.1.2", "'0.1.2'"}, Case{"0.-1", "'0.-1'"},
                       Case{"0..1", "'0..1'"}, Case{"0.99999999999", "'0.99999999999'"}}) {
    INFO("selector: " << c.text);
    std::string message;
    CHECK(parse_error(c.text, &message) == Errc::invalid_selector);
    CHECK(message.find(c.token) != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);  // one line
  }
  CHECK(parse_error("") == Errc::invalid_selector);
  CHECK(parse_error("   ") == Errc::invalid_selector);
}

TEST_CASE("TESSERA_DEVICES is the default selector") {
  ::setenv("TESSERA_DEVICES", "gpu,-2", 1);
  CHECK(Selector::from_environment().text() == "gpu,-2");
  ::setenv("TESSERA_DEVICES", "", 1);
  CHECK(Selector::from_environment().text() == "all");
  ::unsetenv("TESSERA_DEVICES");
  CHECK(Selector::from_environment().text() == "all");
  // Its errors name the variable, of syntax and of matching alike.
  ::setenv("TESSERA_DEVICES", "bogus", 1);
  std::string message;
  try {
    (void)Selector::from_environment();
  } catch (const tessera::Error& e) {
    CHECK(e.code() == Errc::invalid_selector);
    message = e.what();
  }
  CHECK(message.rfind("TESSERA_DEVICES: invalid device selector 'bogus': unknown term 'bogus'", 0) == 0);
  ::setenv("TESSERA_DEVICES", "name=nothing", 1);
  const Selector nothing = Selector::from_environment();
  ::unsetenv("TESSERA_DEVICES");
  try {
    (void)nothing.select({});
    FAIL("an empty selection must throw");
  } catch (const tessera::Error& e) {
    CHECK(e.code() == Errc::no_matching_device);
    CHECK(std::string(e.what()) == "TESSERA_DEVICES: device selector 'name=nothing' matches no device; the devices are: none");
  }
  // The same text from elsewhere is only itself.
  try {
    (void)Selector::parse("name=nothing").select({});
  } catch (const tessera::Error& e) {
    CHECK(std::string(e.what()).rfind("device selector 'name=nothing'", 0) == 0);
  }
}

TEST_CASE("selectors on the devices of this topology") {
  const auto& topo = tessera::test::topology();
  const auto all = tessera::discover_devices().devices;
  REQUIRE(all.size() == topo.root_devices);

  CHECK(Selector::parse("all").select(all).size() == all.size());
  for (const auto& d : all) {
    const auto one = Selector::parse(std::to_string(d.info().index)).select(all);
    REQUIRE(one.size() == 1);
    CHECK(one[0] == d);
  }
  CHECK(Selector::parse("platform=portable").select(all).size() == topo.pocl_devices);

  // Excluding every device by index leaves nothing: the error lists what exists.
  std::string everything = "all";
  for (const auto& d : all) everything += ",-" + std::to_string(d.info().index);
  try {
    (void)Selector::parse(everything).select(all);
    FAIL("an empty selection must throw");
  } catch (const tessera::Error& e) {
    CHECK(e.code() == Errc::no_matching_device);
    for (const auto& d : all) CHECK(std::string(e.what()).find(d.name()) != std::string::npos);
  }

  const auto gpus = [&] {
    try {
      return Selector::parse("gpu").select(all);
    } catch (const tessera::Error& e) {
      CHECK(e.code() == Errc::no_matching_device);
      return std::vector<tessera::Device>{};
    }
  }();
  CHECK(gpus.size() == (topo.oclgrind ? 1u : 0u));  // Oclgrind reports the gpu bit; PoCL does not
  if (topo.oclgrind) {
    CHECK(Selector::parse("all,-name=oclgrind").select(all).size() == all.size() - 1);
  }
}
