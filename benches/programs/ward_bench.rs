//! Times segcore's Ward on a raw little-endian f64 matrix and writes the linkage, for
//! `benches/compare_ward.py` (which runs scipy and fastcluster on the same bytes).
//!
//! Usage: `ward_bench X.f64 N D Z_OUT.f64 [MICRO_CLUSTERS K LABELS_OUT.u64]`
//! Prints one JSON line: seconds of the fit, peak resident memory (MB) of the process.

use ndarray::Array2;
use segcore::cluster::ward::{ward_linkage, WardParams};
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        return Err(
            "usage: ward_bench X.f64 N D Z_OUT.f64 [MICRO_CLUSTERS K LABELS_OUT.u64]".into(),
        );
    }
    let (n, d): (usize, usize) = (args[2].parse()?, args[3].parse()?);
    let bytes = std::fs::read(&args[1])?;
    if bytes.len() != n * d * 8 {
        return Err(format!(
            "{} has {} bytes, expected {}",
            args[1],
            bytes.len(),
            n * d * 8
        )
        .into());
    }
    let values: Vec<f64> = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("chunks of 8 bytes")))
        .collect();
    let x = Array2::from_shape_vec((n, d), values)?;
    let start = Instant::now();
    let (z, labels) = if args.len() >= 8 {
        let micro: usize = args[5].parse()?;
        let k: usize = args[6].parse()?;
        let mut params = WardParams::new(k);
        if micro > 0 {
            params = params.micro_clusters(micro);
        }
        let model = params.fit(x.view(), None)?;
        (
            model.linkage().clone().into_scipy_matrix(),
            Some(model.labels().to_owned()),
        )
    } else {
        (ward_linkage(x.view(), None)?.into_scipy_matrix(), None)
    };
    let seconds = start.elapsed().as_secs_f64();
    let z_bytes: Vec<u8> = z.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&args[4], z_bytes)?;
    if let Some(labels) = labels {
        let l_bytes: Vec<u8> = labels
            .iter()
            .flat_map(|&v| (v as u64).to_le_bytes())
            .collect();
        std::fs::write(&args[7], l_bytes)?;
    }
    println!(
        "{{\"n\": {n}, \"d\": {d}, \"seconds\": {seconds:.4}, \"peak_rss_mb\": {:.1}, \"threads\": {}}}",
        peak_rss_mb(),
        rayon::current_num_threads()
    );
    Ok(())
}
