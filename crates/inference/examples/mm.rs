use candle_core::{Device, Tensor, DType};
fn main() {
    let d = Device::Cpu;
    let a = Tensor::randn(0f32, 1.0, (3200, 384), &d).unwrap();
    let b = Tensor::randn(0f32, 1.0, (384, 1536), &d).unwrap();
    for _ in 0..2 { let _ = a.matmul(&b).unwrap(); }
    let t = std::time::Instant::now();
    for _ in 0..10 { let _ = a.matmul(&b).unwrap(); }
    let s = t.elapsed().as_secs_f64() / 10.0;
    println!("{:.1} GFLOP/s", 2.0 * 3200.0 * 384.0 * 1536.0 / s / 1e9);
    let q = Tensor::randn(0f32, 1.0, (16, 12, 200, 32), &d).unwrap();
    let k = Tensor::randn(0f32, 1.0, (16, 12, 32, 200), &d).unwrap();
    let t = std::time::Instant::now();
    for _ in 0..10 { let _ = q.matmul(&k).unwrap(); }
    println!("attn scores {:.2} ms", t.elapsed().as_secs_f64() * 100.0);
    let x = Tensor::randn(0f32, 1.0, (3200, 1536), &d).unwrap();
    let t = std::time::Instant::now();
    for _ in 0..10 { let _ = x.gelu_erf().unwrap(); }
    println!("gelu {:.2} ms", t.elapsed().as_secs_f64() * 100.0);
    let _ = DType::F32;
}
