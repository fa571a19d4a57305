#pragma once
// Kernels over uint arrays that the task tests share.

namespace tessera::test {

inline const char* const task_kernels = R"CL(
kernel void add(global uint* y, const uint v) { y[get_global_id(0)] += v; }
kernel void copy(global const uint* x, global uint* y) { y[get_global_id(0)] = x[get_global_id(0)]; }
kernel void smooth(global const uint* x, global uint* y, const uint n) {
  const size_t i = get_global_id(0);
  y[i] = (i > 0 ? x[i - 1] : 0u) + x[i] + (i + 1 < n ? x[i + 1] : 0u);
}
// Streams: indexes its window from `base` (tessera::window_base()).
kernel void add_windowed(global uint* y, const uint v, const ulong base) { y[get_global_id(0) - base] += v; }
// Slow on purpose: `iters` steps of a congruential generator per item.
kernel void spin(global const uint* x, global uint* y, const uint iters) {
  const size_t i = get_global_id(0);
  uint v = x[i];
  for (uint k = 0; k < iters; ++k) v = v * 1664525u + 1013904223u;
  y[i] = v;
}
)CL";

}  // namespace tessera::test
