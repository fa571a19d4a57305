// LU factorisation without pivoting, in place, of a diagonally dominant n x n matrix
// (samples/jobs/lu.toml). Row-major; after the job, a holds U on and above the diagonal and L
// (unit diagonal, not stored) below it.

// Entry (i, j) of the matrix: a hash of (i, j) in [0, 1), plus n on the diagonal.
float entry(uint i, uint j, uint n) {
  uint h = i * 2654435761u ^ (j + 0x9e3779b9u) * 2246822519u;
  h ^= h >> 15;
  h *= 2246822519u;
  h ^= h >> 13;
  return (float)(h & 0xffffu) / 65536.0f + (i == j ? (float)n : 0.0f);
}

// global [n, n]: the matrix.
kernel void lu_init(global float* a, const int n) {
  const int j = (int)get_global_id(0), i = (int)get_global_id(1);
  a[i * n + j] = entry((uint)i, (uint)j, (uint)n);
}

// Pivot step k, part 1: prow[j] = a[k][j] for j in [k, n) (global [n - k], offset [k]). The
// rows below read the pivot row from prow, never from a row another work-item writes.
kernel void lu_pivot_row(global const float* a, global float* prow, const int k, const int n) {
  const int j = (int)get_global_id(0);
  prow[j] = a[k * n + j];
}

// Pivot step k, part 2: row i in [k + 1, n) (global [n - k - 1], offset [k + 1]) takes its
// multiplier l = a[i][k] / a[k][k], stored in its place, and subtracts l times the pivot row.
kernel void lu_eliminate(global float* a, global const float* prow, const int k, const int n) {
  const int i = (int)get_global_id(0);
  global float* row = a + i * n;
  const float l = row[k] / prow[k];
  row[k] = l;
  for (int j = k + 1; j < n; ++j) row[j] -= l * prow[j];
}

// bad[i]: the elements of row i of L U that differ from the matrix by more than tol times n (the
// size of the diagonal: rounding errors grow with it).
kernel void lu_residual(global const float* a, global int* bad, const int n, const float tol) {
  const int i = (int)get_global_id(0);
  int count = 0;
  for (int j = 0; j < n; ++j) {
    const int m = min(i, j);
    float s = i <= j ? a[i * n + j] : a[i * n + j] * a[j * n + j];  // L[i][m] U[m][j] at m = min(i, j)
    for (int p = 0; p < m; ++p) s += a[i * n + p] * a[p * n + j];
    if (fabs(s - entry((uint)i, (uint)j, (uint)n)) > tol * (float)n) ++count;
  }
  bad[i] = count;
}
