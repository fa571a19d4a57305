// Kernels of the scatter tests (tests/test_scatter.cpp, symmetric.toml).

// Work-item i fills row i from the diagonal on and, mirrored, column i; elements whose (i + j)
// is a multiple of 3 are left alone. Returns how many elements it wrote.
uint fill_row(global uint* m, const uint i, const uint n) {
  uint written = 0;
  for (uint j = i; j < n; ++j) {
    if ((i + j) % 3 == 0) continue;
    const uint v = (i + 1) * (j + 1) * 7u;
    m[i * n + j] = v;
    m[j * n + i] = v;
    written += j == i ? 1 : 2;
  }
  return written;
}
kernel void symmetric(global uint* m, const uint n) { fill_row(m, get_global_id(0), n); }
// The same, counting the elements written into `written` (a reduce buffer).
kernel void symmetric_counted(global uint* m, global uint* written, const uint n) {
  atomic_add(&written[0], fill_row(m, get_global_id(0), n));
}
// Work-item i replaces m[i][j] and m[j][i] (j >= i) by their sum: it reads what it writes only.
kernel void symmetrise(global uint* m, const uint n) {
  const uint i = get_global_id(0);
  for (uint j = i; j < n; ++j) {
    const uint s = j == i ? m[i * n + i] : m[i * n + j] + m[j * n + i];
    m[i * n + j] = s;
    m[j * n + i] = s;
  }
}
kernel void add(global uint* y, const uint v) { y[get_global_id(0)] += v; }
kernel void row_sums(global const uint* m, global uint* sums, const uint n) {
  const uint i = get_global_id(0);
  uint s = 0;
  for (uint j = 0; j < n; ++j) s += m[i * n + j];
  sums[i] = s;
}
// The first and the last work-item both write element n.
kernel void ends(global int* out, const uint n, const int first, const int last) {
  const uint i = get_global_id(0);
  out[i] = (int)i;
  if (i == 0) out[n] = first;
  if (i == n - 1) out[n] = last;
}
