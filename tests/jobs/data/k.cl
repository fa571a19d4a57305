kernel void k(global const float* x, global float* y) {
  const size_t i = get_global_id(0);
  y[i] = 2.0f * x[i];
}
