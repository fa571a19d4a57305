// Lists the devices through the installed library; exits 0 when at least one is found.
#include <tessera/tessera.hpp>

#include <cstdio>

int main() {
  try {
    const tessera::Runtime rt;
    for (const auto& d : rt.devices()) std::printf("%s %s\n", d.info().label().c_str(), d.name().c_str());
    std::printf("tessera %s: %zu device(s)\n", tessera::version_string, rt.devices().size());
    return rt.devices().empty() ? 1 : 0;
  } catch (const tessera::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
