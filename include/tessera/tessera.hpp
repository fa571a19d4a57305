#pragma once
// Umbrella header: everything a user of Tessera needs.

#include "tessera/array.hpp"
#include "tessera/buffer.hpp"
#include "tessera/device.hpp"
#include "tessera/error.hpp"
#include "tessera/launch.hpp"
#include "tessera/program.hpp"
#include "tessera/range.hpp"
#include "tessera/run_stats.hpp"
#include "tessera/runtime.hpp"
#include "tessera/scheduler.hpp"
#include "tessera/selector.hpp"
#include "tessera/source.hpp"
#include "tessera/submission.hpp"
#include "tessera/version.hpp"
