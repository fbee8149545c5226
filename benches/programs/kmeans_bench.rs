//! Per-iteration k-means timing against the memory-bandwidth floor and linfa-clustering.
//!
//! ```text
//! cargo run --release --example kmeans_bench -- [--npy X.npy | --n 1000000 --d 16] [--k 8]
//!     [--iters 20] [--dtype f64|f32] [--repeats 3] [--linfa] [--lloyd-only]
//! ```
//! `--npy` reads a C-ordered little-endian `<f8`/`<f4` array (what `benches/compare_kmeans.py`
//! writes, so both libraries see the same bytes); the first k rows are the initial centers, as
//! in the Python script. Prints one `key=value` line per measurement for the script to parse.

use ndarray::{s, Array2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use segcore::cluster::kmeans::{KMeansAlgorithm, KMeansInit, KMeansParams};
use segcore::Float;
use std::time::Instant;

struct Args {
    npy: Option<String>,
    n: usize,
    d: usize,
    k: usize,
    iters: usize,
    dtype: String,
    repeats: usize,
    linfa: bool,
    lloyd_only: bool,
}

fn parse_args() -> Args {
    let mut args = Args {
        npy: None,
        n: 1_000_000,
        d: 16,
        k: 8,
        iters: 20,
        dtype: "f64".into(),
        repeats: 3,
        linfa: false,
        lloyd_only: false,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let value = || argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--npy" => args.npy = Some(value()),
            "--n" => args.n = value().parse().expect("--n takes an integer"),
            "--d" => args.d = value().parse().expect("--d takes an integer"),
            "--k" => args.k = value().parse().expect("--k takes an integer"),
            "--iters" => args.iters = value().parse().expect("--iters takes an integer"),
            "--dtype" => args.dtype = value(),
            "--repeats" => args.repeats = value().parse().expect("--repeats takes an integer"),
            "--linfa" => {
                args.linfa = true;
                i += 1;
                continue;
            }
            "--lloyd-only" => {
                args.lloyd_only = true;
                i += 1;
                continue;
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    args
}

/// Minimal .npy reader (format 1.x/2.x, C order, little-endian f4/f8), returned as f64 values.
fn read_npy(path: &str) -> (Vec<f64>, usize, usize, String) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{path} is not a .npy file");
    let (header_len, start) = if bytes[6] == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else {
        (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        )
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).expect("ascii header");
    assert!(header.contains("'fortran_order': False"), "need C order");
    let descr = if header.contains("'<f8'") {
        "f64"
    } else if header.contains("'<f4'") {
        "f32"
    } else {
        panic!("need <f8 or <f4, header: {header}")
    };
    let shape = header.split("'shape': (").nth(1).expect("shape in header");
    let dims: Vec<usize> = shape
        .split(')')
        .next()
        .expect("shape tuple")
        .split(',')
        .filter_map(|t| t.trim().parse().ok())
        .collect();
    let data = &bytes[start + header_len..];
    let values = if descr == "f64" {
        data.chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect()
    } else {
        data.chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64)
            .collect()
    };
    (values, dims[0], dims[1], descr.to_string())
}

/// Uniform noise around weakly separated centers: enough overlap that Lloyd keeps moving for
/// the whole fixed number of iterations (well separated blobs converge in ~3 and would measure
/// the fixed per-fit overhead instead of an iteration).
fn overlapping_blobs(n: usize, d: usize, k: usize) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let centers: Vec<f64> = (0..k * d).map(|_| rng.gen_range(-0.5..0.5)).collect();
    let mut x = Vec::with_capacity(n * d);
    for i in 0..n {
        for f in 0..d {
            x.push(centers[(i % k) * d + f] + rng.gen_range(-1.0..1.0));
        }
    }
    x
}

/// Peak resident memory (VmHWM) and current (VmRSS) in bytes, from /proc (Linux).
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// CPU seconds used by this process so far (all threads; user + system), from /proc (Linux).
/// Reported next to wall time because the benchmark machine is shared: CPU time is what the
/// work costs, wall time what a user waits.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the full line: 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn reset_peak() {
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// STREAM-like read bandwidth: a parallel sum over X (the bytes one k-means iteration must read),
/// best of 5, in bytes per second.
fn read_bandwidth<F: Float>(x: &[F]) -> f64 {
    let bytes = std::mem::size_of_val(x) as f64;
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        let sum: F = x
            .par_chunks(1 << 16)
            .map(|c| {
                // Eight independent accumulators so the loop is load-bound, not add-latency-bound.
                let mut acc = [F::zero(); 8];
                for block in c.chunks_exact(8) {
                    for (a, &v) in acc.iter_mut().zip(block) {
                        *a += v;
                    }
                }
                acc.iter().fold(F::zero(), |s, &v| s + v)
            })
            .reduce(F::zero, |a, b| a + b);
        std::hint::black_box(sum);
        best = best.min(t.elapsed().as_secs_f64());
    }
    bytes / best
}

fn run<F: Float + Send + Sync>(values: Vec<f64>, n: usize, d: usize, args: &Args) {
    let x = Array2::from_shape_vec((n, d), values.into_iter().map(F::cast).collect::<Vec<F>>())
        .expect("n * d values");
    let init = x
        .slice(s![0..args.k, ..])
        .mapv(|v| v.to_f64().unwrap_or(0.0));
    let x_bytes = (n * d * std::mem::size_of::<F>()) as f64;
    let bandwidth = read_bandwidth(x.as_slice().expect("standard layout"));
    let floor_ms = x_bytes / bandwidth * 1e3;
    println!("threads={}", rayon::current_num_threads());
    println!("bandwidth_gbs={:.2}", bandwidth / 1e9);
    println!("floor_ms_per_iter={floor_ms:.6}");
    for (name, algorithm) in [
        ("lloyd", KMeansAlgorithm::Lloyd),
        ("hamerly", KMeansAlgorithm::Hamerly),
    ] {
        if args.lloyd_only && algorithm != KMeansAlgorithm::Lloyd {
            continue;
        }
        let params = KMeansParams::new(args.k)
            .init(KMeansInit::Centers(init.clone()))
            .max_iter(args.iters)
            .tol(0.0)
            .algorithm(algorithm);
        let mut per_iter = Vec::new();
        let mut cpu_per_iter = Vec::new();
        let mut peak_extra = 0u64;
        let mut n_iter = 0;
        let mut inertia = 0.0;
        for _ in 0..args.repeats {
            reset_peak();
            let (_, rss_before) = memory();
            let cpu = cpu_seconds();
            let t = Instant::now();
            let model = params.fit(x.view(), None).expect("benchmark data is valid");
            let elapsed = t.elapsed().as_secs_f64();
            let cpu = cpu_seconds() - cpu;
            let (peak, _) = memory();
            peak_extra = peak_extra.max(peak.saturating_sub(rss_before));
            n_iter = model.n_iter();
            inertia = model.inertia().to_f64().unwrap_or(f64::NAN);
            per_iter.push(elapsed / n_iter as f64 * 1e3);
            cpu_per_iter.push(cpu / n_iter as f64 * 1e3);
        }
        let ms = median(per_iter);
        println!("segcore_{name}_ms_per_iter={ms:.6}");
        println!("segcore_{name}_cpu_ms_per_iter={:.3}", median(cpu_per_iter));
        println!("segcore_{name}_n_iter={n_iter}");
        println!("segcore_{name}_inertia={inertia:.10e}");
        println!("segcore_{name}_vs_floor={:.2}", ms / floor_ms);
        println!(
            "segcore_{name}_peak_extra_mb={:.1}",
            peak_extra as f64 / 1048576.0
        );
    }
    if args.linfa {
        use linfa::traits::Fit;
        let dataset = linfa::DatasetBase::from(x.clone());
        let init_f = init.mapv(F::cast);
        let mut per_iter = Vec::new();
        for _ in 0..args.repeats {
            let t = Instant::now();
            let model = linfa_clustering::KMeans::params_with_rng(
                args.k,
                Xoshiro256PlusPlus::seed_from_u64(0),
            )
            .init_method(linfa_clustering::KMeansInit::Precomputed(init_f.clone()))
            .max_n_iterations(args.iters as u64)
            .tolerance(F::min_positive_value())
            .n_runs(1)
            .fit(&dataset)
            .expect("linfa fit");
            std::hint::black_box(model);
            // linfa does not report its iteration count; with a ~0 tolerance it runs them all.
            per_iter.push(t.elapsed().as_secs_f64() / args.iters as f64 * 1e3);
        }
        println!("linfa_ms_per_iter={:.3}", median(per_iter));
    }
}

fn main() {
    let args = parse_args();
    let (values, n, d, file_dtype) = match &args.npy {
        Some(path) => read_npy(path),
        None => (
            overlapping_blobs(args.n, args.d, args.k),
            args.n,
            args.d,
            args.dtype.clone(),
        ),
    };
    println!("n={n} d={d} k={} dtype={file_dtype}", args.k);
    if file_dtype == "f32" {
        run::<f32>(values, n, d, &args);
    } else {
        run::<f64>(values, n, d, &args);
    }
}
