// Escape-time Mandelbrot over a width x height image (global = [width, height]).
// The view is the rectangle [x0, x1] x [y0, y1] of the complex plane; out[y * width + x] is the
// iteration count at which |z| passed 2, or max_iter for points of the set.
// The image size comes in as arguments, not from get_global_size(): a chunk of rows is launched
// with a global offset and its own (smaller) global size.
kernel void mandelbrot(global uint* out, const uint width, const uint height, const float x0,
                       const float y0, const float x1, const float y1, const uint max_iter) {
  const uint px = (uint)get_global_id(0);
  const uint py = (uint)get_global_id(1);
  if (px >= width || py >= height) return;
  const float cr = x0 + (x1 - x0) * ((float)px + 0.5f) / (float)width;
  const float ci = y0 + (y1 - y0) * ((float)py + 0.5f) / (float)height;
  float zr = 0.0f;
  float zi = 0.0f;
  uint n = 0;
  while (n < max_iter && zr * zr + zi * zi <= 4.0f) {
    const float t = zr * zr - zi * zi + cr;
    zi = 2.0f * zr * zi + ci;
    zr = t;
    ++n;
  }
  out[(size_t)py * width + px] = n;
}
