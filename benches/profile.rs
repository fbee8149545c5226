//! Segment profile of 1,000,000 customers x 30 columns (24 numeric, 6 categorical), 8 segments,
//! with revenue and margin (criterion). Goal: under 2 s on the 2-core CI machine.
//!
//! ```sh
//! cargo bench -p segcore-bench --bench profile
//! ```

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use segcore::data::{CategoricalColumn, CustomerTable};
use segcore::profile::{profile, ProfileParams};

fn customers(n: usize, k: usize) -> (CustomerTable, Vec<usize>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let labels: Vec<usize> = (0..n).map(|_| rng.gen_range(0..k)).collect();
    let mut table = CustomerTable::new((0..n).map(|i| format!("C{i:08}")).collect())
        .expect("generated ids are unique");
    for j in 0..24 {
        let name = match j {
            0 => "monetary".to_string(),
            1 => "margin".to_string(),
            2 => "frequency".to_string(),
            3 => "recency_days".to_string(),
            _ => format!("x{j}"),
        };
        let values: Vec<f64> = labels
            .iter()
            .map(|&l| {
                if rng.r#gen::<f64>() < 0.02 {
                    f64::NAN
                } else {
                    (l as f64 + 1.0) * (j as f64 + 1.0) * rng.r#gen::<f64>().exp()
                }
            })
            .collect();
        table.add_numeric(&name, values).expect("column length = n");
    }
    for j in 0..6 {
        let n_categories = 3 + 4 * j;
        let categories: Vec<String> = (0..n_categories).map(|c| format!("c{c}")).collect();
        let codes: Vec<u32> = labels
            .iter()
            .map(|&l| ((l + rng.gen_range(0..n_categories)) % n_categories) as u32)
            .collect();
        let column = CategoricalColumn::from_codes(categories, codes).expect("codes in range");
        table
            .add_categorical_column(&format!("cat{j}"), column)
            .expect("column length = n");
    }
    (table, labels)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("profile");
    group.sample_size(10);
    let params = ProfileParams::new().revenue("monetary").margin("margin");
    for n in [100_000, 1_000_000] {
        let (table, labels) = customers(n, 8);
        group.bench_function(format!("{n}x30_k8"), |b| {
            b.iter(|| profile(black_box(&table), &labels, &params).expect("profile"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
