//! Dispatch benchmarks (being written).
fn main() {}
