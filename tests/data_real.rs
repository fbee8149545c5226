//! Reading the real datasets in `shared/data` and checking the facts their READMEs list.
//!
//! The data is found through `SEGCORE_DATA` or `<repo>/../shared/data`; when absent, each test
//! prints why and passes without checking (the files are never copied into the repo).

use segcore::data::{
    read_header, ColumnChoice, CustomerCsvOptions, CustomerTable, Date, TransactionCsvOptions,
    TransactionLog,
};
use segcore::segmenter::cli::{parse_args, CliOptions, Command};
use segcore::segmenter::{CsvJob, NClusters, SegmenterParams};

use crate::common::data_file;

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

/// The UCI Online Retail log as it comes (gzip CSV, no amount column): recognised columns,
/// amount = Quantity x UnitPrice, the README's facts.
#[test]
fn online_retail_log_reads_as_it_comes() {
    let Some(path) = data_file("online_retail/online_retail_customers.csv.gz") else {
        return;
    };
    let (delimiter, header) = read_header(&path).unwrap();
    assert_eq!(delimiter, b',');
    let options = TransactionCsvOptions::recognise(
        &header,
        &path.display().to_string(),
        &ColumnChoice::default(),
    )
    .unwrap();
    assert_eq!(options.customer, "CustomerID");
    assert_eq!(options.date, "InvoiceDate");
    assert_eq!(options.quantity.as_deref(), Some("Quantity"));
    assert_eq!(options.unit_price.as_deref(), Some("UnitPrice"));
    let log = TransactionLog::from_csv_path(&path, &options).unwrap();
    assert_eq!(log.n_transactions(), 406_829);
    assert_eq!(log.customer_ids().len(), 4_372);
    assert_eq!(
        log.date_range(),
        Some((
            Date::from_ymd(2010, 12, 1).unwrap(),
            Date::from_ymd(2011, 12, 9).unwrap()
        ))
    );
    let quantity = log.quantity().unwrap();
    assert_eq!(quantity.iter().filter(|&&q| q < 0.0).count(), 8_905);
    let (low, high) = quantity
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &q| {
            (l.min(q), h.max(q))
        });
    assert_eq!((low, high), (-80_995.0, 80_995.0));
    // README: sum of Quantity x UnitPrice 8,300,065.81 (all lines), 8,911,407.90 (Quantity > 0).
    let total: f64 = log.amounts().iter().sum();
    assert!((total - 8_300_065.81).abs() < 0.01, "{total}");
    let ordered: f64 = log.amounts().iter().filter(|&&a| a > 0.0).sum();
    assert!((ordered - 8_911_407.90).abs() < 0.01, "{ordered}");
}

/// The route a shop takes on the Online Retail log: the log alone (no customer master), then
/// the log passed where the customers belong, then the command line.
#[test]
fn online_retail_end_to_end_without_a_customer_table() {
    let Some(path) = data_file("online_retail/online_retail_customers.csv.gz") else {
        return;
    };
    let job = CsvJob::new(None, Some(path.clone()));
    let done = job.run().unwrap();
    assert_eq!(done.customers.n_customers(), 4_372);
    assert!(
        done.notes
            .iter()
            .any(|n| n.contains("Quantity x UnitPrice")),
        "{:?}",
        done.notes
    );
    let model = &done.model;
    assert!((4..=8).contains(&model.n_segments()));
    assert_eq!(model.labels().len(), 4_372);
    for segment in &model.profile().segments {
        assert!(
            !segment.name.contains('_') && !segment.description.contains('_'),
            "snake case where a person reads: {} / {}",
            segment.name,
            segment.description
        );
    }
    // Extreme customers: at most 1 %, reported, each in its nearest segment; no segment is too
    // small to publish.
    assert!(model.extreme_customers().len() <= 4_372 / 100);
    for c in model.extreme_customers() {
        assert!(c.robust_sds.abs() > 8.0);
        assert_eq!(model.labels()[c.row], c.segment);
    }
    for s in &model.profile().segments {
        assert!(
            !s.suppressed,
            "segment {} of fewer than 10 customers",
            s.segment
        );
    }
    // Net revenue is right-skewed with a few negative customers (returns): log-transformed.
    let monetary = model
        .spec()
        .columns
        .iter()
        .find(|c| c.column == "monetary")
        .unwrap();
    assert!(monetary.log1p);
    // The log given as the customers file: read as the transactions, with a note.
    let mut routed_job = CsvJob::new(Some(path.clone()), None);
    routed_job.params = SegmenterParams::new().n_clusters(NClusters::Fixed(4));
    let routed = routed_job.run().unwrap();
    assert_eq!(routed.customers.n_customers(), 4_372);
    assert!(
        routed
            .notes
            .iter()
            .any(|n| n.contains("read as the transactions")),
        "{:?}",
        routed.notes
    );
    // ... and as both: an error that says what it is.
    let err = CsvJob::new(Some(path.clone()), Some(path.clone()))
        .run()
        .unwrap_err();
    assert!(
        matches!(err, segcore::Error::TransactionLogAsCustomers { .. }),
        "{err}"
    );
    // The command line: named flags, an explicit output folder.
    let out = std::env::temp_dir().join(format!("segcore-retail-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let args = [
        "--transactions".to_string(),
        path.display().to_string(),
        "--out".into(),
        out.display().to_string(),
        "--clusters".into(),
        "4".into(),
    ];
    let Command::Run(options) = parse_args(args.iter().cloned()).unwrap() else {
        panic!("expected a run")
    };
    let first = options.run().unwrap();
    assert_eq!(first.model.n_segments(), 4);
    assert!(out.join("segmenter.json").is_file() && out.join("report.html").is_file());
    // The report a sales manager reads, with the file as its source and the log's period.
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("online_retail")
            && report.contains("<svg")
            && report.contains("2011-12-09"),
        "the report names its source and period"
    );
    let again = options.run().unwrap_err().to_string();
    assert!(again.contains("--overwrite"), "{again}");
    let overwrite = CliOptions {
        overwrite: true,
        ..*options
    };
    overwrite.run().unwrap();
    std::fs::remove_dir_all(&out).unwrap();
}

/// The Customer Personality table as it comes (tab-separated, enrolment date as DD-MM-YYYY
/// text, 0/1 campaign flags): the date becomes tenure, flags are not logged, names read as words.
#[test]
fn customer_personality_dates_flags_and_names() {
    let Some(path) = data_file("customer_personality/marketing_campaign.csv") else {
        return;
    };
    let done = CsvJob::new(Some(path), None).run().unwrap();
    assert_eq!(done.customers.n_customers(), 2_240);
    assert_eq!(done.customers.ids()[0], "5524");
    let model = &done.model;
    let dates = model.date_columns();
    assert_eq!(dates.len(), 1);
    assert_eq!(dates[0].column, "Dt_Customer");
    // README: enrolments run 2012-07-30 to 2014-06-29; tenure is measured to the day after.
    assert_eq!(dates[0].reference, Date::from_ymd(2014, 6, 30).unwrap());
    let inputs = model.feature_names_in();
    assert!(
        inputs.iter().any(|c| c == "Dt_Customer_tenure_days"),
        "{inputs:?}"
    );
    assert!(!inputs.iter().any(|c| c == "Dt_Customer"));
    for column in &model.spec().columns {
        if column.column.starts_with("AcceptedCmp") || column.column == "Complain" {
            assert!(!column.log1p, "0/1 flag {} log-transformed", column.column);
        }
        if column.column.starts_with("Mnt") {
            assert!(column.log1p, "{} is skewed spend", column.column);
        }
    }
    for name in model.segment_names() {
        assert!(
            !name.contains("AcceptedCmp") && !name.contains('_'),
            "column name where a person reads: {name}"
        );
    }
    // Extreme customers (Income 666666) are reported, never a segment of their own.
    assert!(done.customers.n_customers() / 100 >= model.extreme_customers().len());
    for s in &model.profile().segments {
        assert!(!s.suppressed, "segment {} too small to publish", s.segment);
    }
}
