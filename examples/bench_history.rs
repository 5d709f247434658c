//! Writes OpenMetrics history for the live-fetch benchmark
//! (`benches/live_fetch.sh`): `bench_signal{pod="pod-N"}` gauges every
//! minute, with daily swings and spikes, ending at the last whole hour.
//!
//!     cargo run --release --example bench_history -- SERIES DAYS OUT.om

use std::io::{BufWriter, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let series: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let days: i64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(30);
    let out = args
        .get(3)
        .map_or("target/bench-history.om", String::as_str);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let end = now - now % 3600 - 3600;
    let start = end - days * 86_400;
    let mut file = BufWriter::new(std::fs::File::create(out).expect("create output"));
    writeln!(file, "# TYPE bench_signal gauge").unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    for pod in 0..series {
        let mut t = start;
        while t <= end {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let r = (state >> 11) as f64 / (1u64 << 53) as f64;
            let daily = (((t % 86_400) as f64 / 86_400.0) * std::f64::consts::TAU).sin() * 0.2;
            let v = if r < 0.002 {
                0.95
            } else {
                0.45 + daily + (r - 0.5) * 0.2
            };
            writeln!(file, "bench_signal{{pod=\"pod-{pod}\"}} {:.3} {t}", v).unwrap();
            t += 60;
        }
    }
    writeln!(file, "# EOF").unwrap();
    file.flush().unwrap();
    eprintln!("{start} {end}");
}
