// Linear workgroup index of a dispatch that the runtime folded over x, y, z
// (each dimension is limited to maxComputeWorkgroupsPerDimension).
fn linear_group(wg: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wg.x + nwg.x * (wg.y + nwg.y * wg.z);
}

// NaN test on the bits, so that no compiler assumption of finite math can remove it.
fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// NaN or ±Inf test on the bits (exponent all ones).
fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}
