// Element (row, k) of op(A) and (k, col) of op(B) in batch b; strides encode the transposes.
fn load_a(batch: u32, row: u32, k: u32) -> f32 {
  if (row >= p.m || k >= p.k) { return 0.0; }
  return A[batch * p.a_bs + row * p.a_rs + k * p.a_cs];
}
fn load_b(batch: u32, k: u32, col: u32) -> f32 {
  if (k >= p.k || col >= p.n) { return 0.0; }
  return B[batch * p.b_bs + k * p.b_rs + col * p.b_cs];
}
