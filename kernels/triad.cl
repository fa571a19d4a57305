// STREAM triad: a[i] = b[i] + scalar * c[i]
kernel void triad(global float* a, global const float* b, global const float* c,
                  const float scalar) {
  const size_t i = get_global_id(0);
  a[i] = b[i] + scalar * c[i];
}
