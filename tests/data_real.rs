//! Reading the real datasets in `shared/data` and checking the facts their READMEs list.
//!
//! The data is found through `SEGCORE_DATA` or `<repo>/../shared/data`; when absent, each test
//! prints why and passes without checking (the files are never copied into the repo).

use segcore::data::{
    CustomerCsvOptions, CustomerTable, Date, TransactionCsvOptions, TransactionLog,
};

mod common;
use common::data_file;

#[test]
fn wholesale_customers_match_readme_facts() {
    let Some(path) = data_file("wholesale_customers/wholesale_customers.csv") else {
        return;
    };
    let options = CustomerCsvOptions::default().with_categorical(&["Channel", "Region"]);
    let table = CustomerTable::from_csv_path(&path, &options).unwrap();
    assert_eq!(table.n_customers(), 440);
    assert_eq!(table.ids()[0], "1");
    assert_eq!(table.ids()[439], "440");
    assert_eq!(
        table.column_names(),
        [
            "Channel",
            "Region",
            "Fresh",
            "Milk",
            "Grocery",
            "Frozen",
            "Detergents_Paper",
            "Delicassen"
        ]
    );
    let count = |column: &str, value: &str| {
        let c = table.categorical(column).unwrap();
        let code = c.code_of(value).unwrap();
        c.codes.iter().filter(|&&x| x == code).count()
    };
    assert_eq!((count("Channel", "1"), count("Channel", "2")), (298, 142));
    assert_eq!(
        (
            count("Region", "1"),
            count("Region", "2"),
            count("Region", "3")
        ),
        (77, 47, 316)
    );
    let facts = [
        ("Fresh", 5_280_131.0, 3.0, 112_151.0),
        ("Milk", 2_550_357.0, 55.0, 73_498.0),
        ("Grocery", 3_498_562.0, 3.0, 92_780.0),
        ("Frozen", 1_351_650.0, 25.0, 60_869.0),
        ("Detergents_Paper", 1_267_857.0, 3.0, 40_827.0),
        ("Delicassen", 670_943.0, 3.0, 47_943.0),
    ];
    for (name, sum, min, max) in facts {
        let v = table.numeric(name).unwrap();
        assert_eq!(v.iter().sum::<f64>(), sum, "{name}");
        assert_eq!(
            v.iter().copied().fold(f64::INFINITY, f64::min),
            min,
            "{name}"
        );
        assert_eq!(
            v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            max,
            "{name}"
        );
    }
    // Inferred types: without forcing, the codes read as numbers (sums from the README).
    let plain = CustomerTable::from_csv_path(&path, &CustomerCsvOptions::default()).unwrap();
    assert_eq!(plain.numeric("Channel").unwrap().iter().sum::<f64>(), 582.0);
    assert_eq!(plain.numeric("Region").unwrap().iter().sum::<f64>(), 1119.0);
    let x = plain.numeric_matrix(&["Fresh", "Milk"]).unwrap();
    assert_eq!(x.dim(), (440, 2));
}

#[test]
fn cdnow_transactions_match_readme_facts() {
    let Some(path) = data_file("cdnow/cdnow_transactions.csv") else {
        return;
    };
    let options = TransactionCsvOptions {
        quantity: Some("quantity".into()),
        ..Default::default()
    };
    let log = TransactionLog::from_csv_path(&path, &options).unwrap();
    assert_eq!(log.n_transactions(), 69_659);
    assert_eq!(log.customer_ids().len(), 23_570);
    let mut ids: Vec<u32> = log
        .customer_ids()
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!((ids[0], ids[ids.len() - 1]), (1, 23_570));
    assert_eq!(
        log.date_range(),
        Some((
            Date::from_ymd(1997, 1, 1).unwrap(),
            Date::from_ymd(1998, 6, 30).unwrap()
        ))
    );
    // Amounts have 2 decimals: sum in integer cents to compare exactly.
    let cents: i64 = log
        .amounts()
        .iter()
        .map(|a| (a * 100.0).round() as i64)
        .sum();
    assert_eq!(cents, 250_031_563);
    assert_eq!(log.quantity().unwrap().iter().sum::<f64>(), 167_881.0);
    assert_eq!(log.amounts().iter().filter(|&&a| a == 0.0).count(), 80);
}
