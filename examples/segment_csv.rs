//! The main job on your own data: segment a transaction log (an ERP or shop export) and/or a
//! customer table, print what was read and decided, the inferred spec, the chosen number of
//! segments with its evidence and the named profiles, and write the saved model and the HTML
//! report.
//!
//! ```sh
//! cargo run --release --example segment_csv -- --transactions online_retail.csv.gz --out segments
//! cargo run --release --example segment_csv -- --customers crm.csv --transactions orders.csv.zst
//! cargo run --release --example segment_csv -- --help
//! ```
//!
//! Files may be plain, gzip or zstd CSV, comma-, semicolon- or tab-separated, or Parquet; columns are
//! recognised from English and German header names (`CustomerID`/`Kundennummer`,
//! `InvoiceDate`/`Datum`, `Amount`/`Umsatz`, or `Quantity` x `UnitPrice`) unless named with
//! `--customer-column`, `--date-column`, ... Without `--customers` the customer table is
//! derived from the log. Errors name the file, the line and the column, or say which flag to
//! write. The argument parsing lives in the core (`segcore::segmenter::cli`).

use segcore::segmenter::cli::{parse_args, Command, HELP, OUTPUT_FILES};

fn main() {
    let command = match parse_args(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let options = match command {
        Command::Help => {
            print!("{HELP}");
            return;
        }
        Command::Run(options) => options,
    };
    match options.run() {
        Ok(done) => {
            for note in &done.notes {
                println!("note: {note}");
            }
            println!(
                "read {} customers{}",
                done.customers.n_customers(),
                match &done.transactions {
                    Some(log) => format!(" and {} transaction lines", log.n_transactions()),
                    None => String::new(),
                }
            );
            println!("\n{}", done.model);
            println!(
                "saved model:  {}",
                options.out_dir.join(OUTPUT_FILES[0]).display()
            );
            println!(
                "HTML report:  {}",
                options.out_dir.join(OUTPUT_FILES[1]).display()
            );
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
