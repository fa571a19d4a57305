#pragma once
// Umbrella header: everything a user of Tessera needs.

#include "tessera/device.hpp"
#include "tessera/error.hpp"
#include "tessera/runtime.hpp"
#include "tessera/selector.hpp"
#include "tessera/version.hpp"
