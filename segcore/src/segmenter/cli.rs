//! The `segment_csv` command line: named flags parsed into a [`CsvJob`], the output folder
//! chosen explicitly, and a run that prints what was read, decided and fitted.
//!
//! Invariant: nothing is guessed from the position or the ending of an argument; every value
//! follows its flag, and an unknown flag or a bare argument is an [`Error::Usage`] that says
//! what to write instead. Files of an earlier run in the output folder are replaced only with
//! `--overwrite`.

use super::csv_job::{CsvJob, CsvSegmentation};
use super::{NClusters, ReportContext};
use crate::error::{Error, Result};
use crate::profile::Language;
use std::path::{Path, PathBuf};

/// The text `--help` prints.
pub const HELP: &str = "\
segment_csv: customer segments from a customer table and/or a transaction log

USAGE
  segment_csv --transactions FILE [--customers FILE] [--out DIR] [options]
  segment_csv --customers FILE [--out DIR] [options]

INPUT (CSV, plain, .gz or .zst, comma, semicolon or tab separated; or Parquet)
  -t, --transactions FILE   order or invoice lines; without --customers the customer table is
                            derived from it (one row per customer, behaviour features only)
  -c, --customers FILE      one row per customer (firmographics); a transaction log given
                            here is recognised and read as the transactions
      --id-column NAME      customer id column of the customers file (default: recognised,
                            e.g. customer_id, CustomerID, Kundennummer, ID)

COLUMNS OF THE TRANSACTIONS (default: recognised from English and German header names)
      --customer-column NAME   e.g. CustomerID, Kundennummer
      --date-column NAME       e.g. InvoiceDate, Datum (YYYY-MM-DD, DD.MM.YYYY, DD-MM-YYYY)
      --amount-column NAME     e.g. Amount, Umsatz (negative = return)
      --quantity-column NAME   e.g. Quantity, Menge
      --price-column NAME      e.g. UnitPrice, Einzelpreis; without an amount column the
                               amount is quantity x unit price
      --margin-column NAME     --category-column NAME     --channel-column NAME

OUTPUT
  -o, --out DIR             output folder (default target/segment_csv); created if needed
      --overwrite           replace segmenter.json and report.html of an earlier run there

SEGMENTATION
  -k, --clusters K|MIN..MAX number of segments, fixed or chosen (default 4..8)
      --language en|de      language of names and report (default en)
      --seed N              random seed (default 0)

  -h, --help                this text

EXAMPLE
  segment_csv --transactions online_retail.csv.gz --out retail_segments
";

/// The files one run writes into the output folder.
pub const OUTPUT_FILES: [&str; 2] = ["segmenter.json", "report.html"];

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Print [`HELP`].
    Help,
    /// Segment and write the outputs.
    Run(Box<CliOptions>),
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq)]
pub struct CliOptions {
    /// The files, columns and parameters.
    pub job: CsvJob,
    /// Output folder.
    pub out_dir: PathBuf,
    /// Replace the files of an earlier run in `out_dir`.
    pub overwrite: bool,
}

fn usage(problem: impl Into<String>) -> Error {
    Error::Usage {
        problem: problem.into(),
    }
}

fn parse_clusters(text: &str) -> Result<NClusters> {
    let number = |s: &str| {
        s.trim().parse::<usize>().map_err(|_| {
            usage(format!(
                "--clusters `{text}`: expected a number of segments such as 5, or a range such as 4..8"
            ))
        })
    };
    Ok(match text.split_once("..") {
        Some((min, max)) => NClusters::Auto {
            min: number(min)?,
            max: number(max.trim_start_matches('='))?,
        },
        None => NClusters::Fixed(number(text)?),
    })
}

/// Parses the arguments after the program name (`--flag value` or `--flag=value`).
///
/// ```
/// use segcore::segmenter::cli::{parse_args, Command};
/// let args = ["--transactions", "retail.csv.gz", "--out", "segments", "-k", "5"];
/// let Command::Run(options) = parse_args(args.iter().map(|s| s.to_string()))? else { unreachable!() };
/// assert_eq!(options.job.transactions.as_deref(), Some(std::path::Path::new("retail.csv.gz")));
/// assert_eq!(options.out_dir, std::path::PathBuf::from("segments"));
/// assert_eq!(parse_args(["--help".to_string()])?, Command::Help);
/// let err = parse_args(["retail.csv".to_string()]).unwrap_err().to_string();
/// assert!(err.contains("--transactions retail.csv"), "{err}");
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command> {
    let mut job = CsvJob::default();
    let mut out_dir = PathBuf::from("target/segment_csv");
    let mut overwrite = false;
    let mut args = args.into_iter();
    let mut any = false;
    while let Some(arg) = args.next() {
        any = true;
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if !flag.starts_with('-') || flag == "-" {
            return Err(usage(format!(
                "`{arg}` is not a flag; name what it is: --transactions {arg} (order lines) or \
                 --customers {arg} (one row per customer), or --out {arg} (output folder)"
            )));
        }
        let mut value = |what: &str| -> Result<String> {
            match inline.clone().or_else(|| args.next()) {
                Some(v) if !v.is_empty() => Ok(v),
                _ => Err(usage(format!("{flag} needs a value ({what})"))),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-c" | "--customers" => job.customers = Some(PathBuf::from(value("a file")?)),
            "-t" | "--transactions" => job.transactions = Some(PathBuf::from(value("a file")?)),
            "-o" | "--out" => out_dir = PathBuf::from(value("a folder")?),
            "--overwrite" => overwrite = true,
            "--id-column" => job.id_column = Some(value("a column name")?),
            "--customer-column" => job.columns.customer = Some(value("a column name")?),
            "--date-column" => job.columns.date = Some(value("a column name")?),
            "--amount-column" => job.columns.amount = Some(value("a column name")?),
            "--quantity-column" => job.columns.quantity = Some(value("a column name")?),
            "--price-column" => job.columns.unit_price = Some(value("a column name")?),
            "--margin-column" => job.columns.margin = Some(value("a column name")?),
            "--category-column" => job.columns.product_category = Some(value("a column name")?),
            "--channel-column" => job.columns.channel = Some(value("a column name")?),
            "-k" | "--clusters" => {
                job.params.n_clusters = parse_clusters(&value("K or MIN..MAX")?)?;
            }
            "--language" => job.params.language = Language::parse(&value("en or de")?)?,
            "--seed" => {
                let v = value("a whole number")?;
                job.params.random_state = v
                    .parse()
                    .map_err(|_| usage(format!("--seed `{v}`: expected a whole number >= 0")))?;
            }
            other => {
                return Err(usage(format!(
                    "unknown option `{other}`; the options are --transactions, --customers, \
                     --out, --overwrite, --id-column, --customer-column, --date-column, \
                     --amount-column, --quantity-column, --price-column, --margin-column, \
                     --category-column, --channel-column, --clusters, --language, --seed, --help"
                )))
            }
        }
    }
    if !any {
        return Ok(Command::Help);
    }
    if job.customers.is_none() && job.transactions.is_none() {
        return Err(usage(
            "nothing to segment: name a transactions file (--transactions FILE), a customers \
             file (--customers FILE) or both",
        ));
    }
    job.params.check()?;
    Ok(Command::Run(Box::new(CliOptions {
        job,
        out_dir,
        overwrite,
    })))
}

/// Makes `out_dir` ready for the outputs: created when missing; an existing file of that name,
/// or outputs of an earlier run without `overwrite`, are a [`Error::Usage`] saying what to do.
pub fn prepare_output_dir(out_dir: &Path, overwrite: bool) -> Result<()> {
    if out_dir.exists() && !out_dir.is_dir() {
        return Err(usage(format!(
            "--out {}: this is a file, not a folder; name a folder for segmenter.json and \
             report.html",
            out_dir.display()
        )));
    }
    if !overwrite {
        let existing: Vec<&str> = OUTPUT_FILES
            .iter()
            .copied()
            .filter(|f| out_dir.join(f).exists())
            .collect();
        if !existing.is_empty() {
            return Err(usage(format!(
                "--out {} already holds {} of an earlier run; add --overwrite to replace them, \
                 or choose another --out folder",
                out_dir.display(),
                existing.join(" and ")
            )));
        }
    }
    std::fs::create_dir_all(out_dir).map_err(|source| Error::Io {
        path: out_dir.display().to_string(),
        source,
    })
}

impl CliOptions {
    /// Checks the output folder, runs the job and writes `segmenter.json` and `report.html`
    /// (the report a sales manager reads: [`Segmenter::report_html`](super::Segmenter::report_html),
    /// with the files as its source and the log's date range) into the output folder; the
    /// output folder is checked before the (long) fit.
    pub fn run(&self) -> Result<CsvSegmentation> {
        prepare_output_dir(&self.out_dir, self.overwrite)?;
        let done = self.job.run()?;
        crate::persist::save(&done.model, self.out_dir.join(OUTPUT_FILES[0]))?;
        let source = [&self.job.customers, &self.job.transactions]
            .into_iter()
            .flatten()
            .filter_map(|p| p.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        let mut context = ReportContext::new().source(&source);
        if let Some(log) = &done.transactions {
            context = context.date_range_of(log);
        }
        done.model
            .save_report(self.out_dir.join(OUTPUT_FILES[1]), &context)?;
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags_and_values() {
        let Command::Run(o) = parse(&[
            "-t",
            "log.csv.gz",
            "--customers=crm.csv",
            "--price-column",
            "Einzelpreis",
            "--clusters",
            "3..6",
            "--language",
            "de",
            "--seed",
            "7",
            "--overwrite",
        ])
        .unwrap() else {
            panic!("expected a run")
        };
        assert_eq!(o.job.customers, Some(PathBuf::from("crm.csv")));
        assert_eq!(o.job.columns.unit_price.as_deref(), Some("Einzelpreis"));
        assert_eq!(o.job.params.n_clusters, NClusters::Auto { min: 3, max: 6 });
        assert_eq!(o.job.params.language, Language::German);
        assert_eq!(o.job.params.random_state, 7);
        assert!(o.overwrite);
        assert_eq!(o.out_dir, PathBuf::from("target/segment_csv"));
        assert_eq!(parse(&[]).unwrap(), Command::Help);
        assert_eq!(parse(&["-t", "x", "-h"]).unwrap(), Command::Help);
    }

    #[test]
    fn mistakes_say_what_to_write() {
        for (args, expected) in [
            (&["--transactions"][..], "--transactions needs a value"),
            (&["--frobnicate", "1"][..], "unknown option `--frobnicate`"),
            (&["log.csv", "out"][..], "--transactions log.csv"),
            (&["--out", "x"][..], "nothing to segment"),
            (&["-t", "x", "-k", "many"][..], "--clusters `many`"),
            (&["-t", "x", "-k", "1..3"][..], "n_clusters"),
        ] {
            let err = parse(args).unwrap_err().to_string();
            assert!(err.contains(expected), "{args:?}: {err}");
        }
    }

    #[test]
    fn output_folder_is_chosen_explicitly() {
        let dir = std::env::temp_dir().join(format!("segcore-cli-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        prepare_output_dir(&dir, false).unwrap();
        std::fs::write(dir.join("segmenter.json"), "{}").unwrap();
        let err = prepare_output_dir(&dir, false).unwrap_err().to_string();
        assert!(
            err.contains("--overwrite") && err.contains("segmenter.json"),
            "{err}"
        );
        prepare_output_dir(&dir, true).unwrap();
        let file = dir.join("segmenter.json");
        let err = prepare_output_dir(&file, true).unwrap_err().to_string();
        assert!(err.contains("is a file"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
