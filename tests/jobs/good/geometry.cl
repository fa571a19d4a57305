// Kernels written for one device, indexing their buffers as they please.

// Column j of a rows x cols row-major matrix: m[i][j] = 2 m[i][j] + j, for every row i.
kernel void scale_columns(global int* m, const int rows, const int cols) {
  const int j = (int)get_global_id(0);
  for (int i = 0; i < rows; ++i) m[i * cols + j] = 2 * m[i * cols + j] + j;
}

// x is a x b x c; the range is (c, b): x[i][j][k] += 1000 j + k for every i.
kernel void middle(global int* x, const int a, const int b, const int c) {
  const int k = (int)get_global_id(0), j = (int)get_global_id(1);
  for (int i = 0; i < a; ++i) x[(i * b + j) * c + k] += 1000 * j + k;
}

// out[g] = in[g + s] + s.
kernel void shifted(global const int* in, global int* out, const int s) {
  const int g = (int)get_global_id(0);
  out[g] = in[g + s] + s;
}
