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

// Blocked LU with blocks of b rows (samples/jobs/lu_blocked.toml), a seen as nb x b x n.
// Step K, part 1 (global [1], offset [K]: a's block row K, urow): one work-item eliminates
// within block row K over columns [K b, n) — the diagonal block becomes L11 (below its diagonal)
// and U11, the rest of the row U12 = L11^-1 A12 — and copies the finished block row to urow.
kernel void lu_block_row(global float* a, global float* urow, const int b, const int n) {
  const int r0 = (int)get_global_id(0) * b;
  for (int p = 0; p < b; ++p) {
    global const float* pivot = a + (r0 + p) * n;
    for (int i = p + 1; i < b; ++i) {
      global float* row = a + (r0 + i) * n;
      const float l = row[r0 + p] / pivot[r0 + p];
      row[r0 + p] = l;
      for (int j = r0 + p + 1; j < n; ++j) row[j] -= l * pivot[j];
    }
  }
  for (int i = 0; i < b * n; ++i) urow[i] = a[r0 * n + i];
}

// Step K, part 2: row i in [(K + 1) b, n) (global [n - (K + 1) b], offset [(K + 1) b]) solves
// its part of L21 (l U11 = a[i][K b, K b + b)), stored in place, and subtracts l U12.
kernel void lu_block_update(global float* a, global const float* urow, const int k, const int b, const int n) {
  const int i = (int)get_global_id(0), r0 = k * b;
  global float* row = a + i * n;
  for (int p = 0; p < b; ++p) {
    float s = row[r0 + p];
    for (int q = 0; q < p; ++q) s -= row[r0 + q] * urow[q * n + r0 + p];
    row[r0 + p] = s / urow[p * n + r0 + p];
  }
  for (int j = r0 + b; j < n; ++j) {
    float s = row[j];
    for (int p = 0; p < b; ++p) s -= row[r0 + p] * urow[p * n + j];
    row[j] = s;
  }
}
