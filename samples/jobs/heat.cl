// A 1-D heat equation, explicit in time, with insulated ends and a pulsing point source
// (samples/jobs/heat.toml).

// One time step: v = u + alpha (left - 2 u + right), a missing neighbour being the cell itself
// (no heat leaves through the ends, so the total is kept).
kernel void diffuse(global const float* u, global float* v, const float alpha, const int n) {
  const int i = (int)get_global_id(0);
  const float c = u[i];
  const float left = i > 0 ? u[i - 1] : c;
  const float right = i < n - 1 ? u[i + 1] : c;
  v[i] = c + alpha * (left - 2.0f * c + right);
}

// The source at time step t: cell n / 2 gains (t % 10) / 2.
kernel void pulse(global float* v, const int t, const int n) {
  const int i = (int)get_global_id(0);
  if (i == n / 2) v[i] += 0.5f * (float)(t % 10);
}
