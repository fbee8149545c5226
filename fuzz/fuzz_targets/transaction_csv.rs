//! Transaction-log CSV ingestion: bytes in, a log or a typed error out; a log that loads goes
//! on into the behaviour features of its customers. Never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segcore::data::{CustomerTable, TransactionCsvOptions, TransactionLog};
use segcore::features::{behaviour_features, BehaviourParams};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, csv)) = data.split_first() else {
        return;
    };
    let mut options = TransactionCsvOptions::default();
    if flags & 1 == 1 {
        options.margin = Some("margin".into());
    }
    if flags & 2 == 2 {
        options.quantity = Some("quantity".into());
    }
    if flags & 4 == 4 {
        options.product_category = Some("category".into());
    }
    if flags & 8 == 8 {
        options.channel = Some("channel".into());
    }
    if flags & 16 == 16 {
        options.delimiter = b';';
    }
    let Ok(log) = TransactionLog::from_csv_reader(csv, "fuzz.csv", &options) else {
        return;
    };
    assert_eq!(log.dates().len(), log.n_transactions());
    let customers = CustomerTable::from_log_customers(&log);
    if let Ok(features) = behaviour_features(&customers, &log, &BehaviourParams::default()) {
        for name in features.feature_names() {
            assert_eq!(
                features.column(name).map(|c| c.len()).ok(),
                Some(customers.n_customers())
            );
        }
    }
});
