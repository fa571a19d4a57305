// y[i] = a * x[i] + y[i]
kernel void saxpy(const float a, global const float* x, global float* y) {
  const size_t i = get_global_id(0);
  y[i] = a * x[i] + y[i];
}
