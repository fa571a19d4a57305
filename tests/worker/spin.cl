kernel void spin(global float* y, const int iters) {
  const size_t i = get_global_id(0);
  float v = y[i];
  for (int k = 0; k < iters; ++k) v = v * 0.999f + 0.0005f;
  y[i] = v;
}
