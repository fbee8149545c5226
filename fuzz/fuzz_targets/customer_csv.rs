//! Customer-table ingestion, CSV or (flag bit 4) Parquet: bytes in, a table or a typed error
//! out; a table that loads goes on through spec inference and the feature pipeline's fit and
//! transform, as the one-liner does. Never a panic, never an allocation beyond the documented
//! bounds.
//!
//! The first byte holds the flags (1: id column `id`, 2: `;` delimiter, 4: Parquet), the rest
//! is the file. A panic inside the Parquet decoder fails the target although segcore's reader
//! would catch it: the file checks in front of the decoder must leave it nothing to panic on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segcore::data::{CustomerCsvOptions, CustomerTable};
use segcore::features::pipeline::FeatureInput;
use segcore::segmenter::infer_spec;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, csv)) = data.split_first() else {
        return;
    };
    let mut options = CustomerCsvOptions::default();
    if flags & 1 == 1 {
        options = options.with_id_column("id");
    }
    if flags & 2 == 2 {
        options = options.with_delimiter(b';');
    }
    let read = if flags & 4 == 4 {
        CustomerTable::from_parquet_bytes(csv.to_vec(), "fuzz.parquet", &options)
    } else {
        CustomerTable::from_csv_reader(csv, "fuzz.csv", &options)
    };
    let Ok(table) = read else {
        return;
    };
    assert!(table
        .columns()
        .iter()
        .all(|c| c.data.len() == table.n_customers()));
    let spec = infer_spec(&table);
    let input = FeatureInput::from_table(&table);
    if let Ok(pipeline) = spec.fit(&input) {
        if let Ok(matrix) = pipeline.transform(&input) {
            assert_eq!(matrix.nrows(), table.n_customers());
        }
    }
});
