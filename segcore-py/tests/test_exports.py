"""Real exports as they come (issue 26): a transaction log without a customer master, English
and German headers, amount = quantity x unit price, a log passed where the customers belong,
text dates, 0/1 flags, labels where a person reads. Real data from ../shared/data (skipped when
absent)."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pandas as pd
import pytest

import segcore
from segcore.exceptions import ColumnError, DataError, SegcoreError

from conftest import REPO_ROOT, require_data

RETAIL = "online_retail/online_retail_customers.csv.gz"


@pytest.fixture(scope="module")
def retail() -> pd.DataFrame:
    return pd.read_csv(require_data(RETAIL))


@pytest.fixture(scope="module")
def retail_model(retail: pd.DataFrame) -> segcore.Segmenter:
    return segcore.Segmenter(progress=False).fit(None, retail)


def test_online_retail_without_a_customer_table(retail: pd.DataFrame, retail_model: segcore.Segmenter) -> None:
    # README: 406,829 lines of 4,372 customers.
    assert len(retail) == 406_829
    assert retail_model.labels_.shape == (4_372,)
    assert 4 <= retail_model.n_clusters_ <= 8
    for name in retail_model.segment_names_:
        assert "_" not in name, name
    # Amount = Quantity x UnitPrice (computed by the core): net revenue per customer sums to
    # the README's 8,300,065.81.
    assert "monetary" in list(retail_model.feature_names_in_)
    monetary = next(c for c in retail_model.spec_.to_dict()["columns"] if c["column"] == "monetary")
    assert monetary["log1p"], "net revenue is right-skewed: log-transformed"


def test_extreme_customers_are_reported_not_a_segment(retail_model: segcore.Segmenter) -> None:
    sizes = np.bincount(retail_model.labels_, minlength=retail_model.n_clusters_)
    assert sizes.min() >= 10, sizes  # no segment of a handful of outliers
    extreme = retail_model.extreme_customers_
    assert len(extreme) <= 4_372 // 100
    assert list(extreme.columns) == ["customer", "feature", "robust_sds", "segment"]
    assert (extreme["robust_sds"].abs() > 8).all()


def test_predict_flags_the_extreme_customers(retail: pd.DataFrame, retail_model: segcore.Segmenter) -> None:
    # The same rule as at fit, computed by the core: every customer set aside at fit is flagged
    # by predict (with the feature's label, no snake case), and still gets its nearest segment.
    customers = pd.DataFrame({"CustomerID": retail["CustomerID"].drop_duplicates().to_numpy()})
    assigned = retail_model.predict(customers, retail)
    assert list(assigned.columns)[-2:] == ["reason", "extreme"]
    flagged = assigned[assigned["extreme"].notna()]
    extreme = retail_model.extreme_customers_
    assert len(extreme) > 0
    ids = {str(c) for c in flagged["CustomerID"].tolist()}
    assert {str(c) for c in extreme["customer"]} <= ids, (ids, extreme)
    assert flagged["segment"].notna().all()
    assert all("_" not in note for note in flagged["extreme"])


def test_the_log_given_as_customers_is_refused_clearly(retail: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="transaction log") as err:
        segcore.Segmenter(progress=False).fit(retail.head(2000))
    assert isinstance(err.value, ValueError)
    assert "fit(None, transactions)" in str(err.value)


def test_german_headers_and_quantity_times_price() -> None:
    rng = np.random.default_rng(0)
    n = 600
    customer = rng.integers(0, 60, n)
    log = pd.DataFrame(
        {
            "Rechnungsnummer": [f"R{i}" for i in range(n)],
            "Kundennummer": [f"K{c}" for c in customer],
            "Datum": [f"{1 + i % 28:02d}.{1 + i % 12:02d}.2024" for i in range(n)],
            "Menge": rng.integers(1, 5, n),
            "Einzelpreis": np.where(customer < 30, 2.5, 400.0),
        }
    )
    model = segcore.Segmenter(n_clusters=2, progress=False, language="de").fit(None, log)
    assert model.labels_.shape == (60,)
    with pytest.raises(ColumnError, match="Kundennummer, Datum, Menge"):
        segcore.Segmenter(n_clusters=2, progress=False).fit(None, log.drop(columns=["Einzelpreis"]))
    with pytest.raises(SegcoreError, match="customers, transactions or both"):
        segcore.Segmenter(progress=False).fit(None)


def test_customer_personality_dates_flags_labels() -> None:
    frame = pd.read_csv(require_data("customer_personality/marketing_campaign.csv"), sep="\t")
    model = segcore.Segmenter(
        progress=False, customer_id="ID", labels={"AcceptedCmp5": "accepted campaign 5"}
    ).fit(frame)
    names_in = list(model.feature_names_in_)
    assert "Dt_Customer_tenure_days" in names_in and "Dt_Customer" not in names_in
    for column in model.spec_.to_dict()["columns"]:
        if column["column"].startswith("AcceptedCmp") or column["column"] == "Complain":
            assert not column["log1p"], column
    for name in model.segment_names_:
        assert "AcceptedCmp" not in name and "_" not in name, name


def test_feature_labels() -> None:
    assert segcore.feature_label("interpurchase_std_days") == "days between orders (spread)"
    assert segcore.feature_label("interpurchase_std_days", language="de") == "Tage zwischen Bestellungen (Streuung)"
    assert segcore.feature_unit("monetary", currency="GBP") == "GBP"
    assert segcore.feature_unit("recency_days", language="de") == "Tage"
    assert segcore.feature_label("annual_revenue_eur") == "annual revenue eur"
    assert segcore.feature_unit("Grocery") is None
    with pytest.raises(ValueError):
        segcore.feature_label("monetary", language="fr")


def _command_line() -> str:
    """The segment_csv example as built by ``cargo test`` (or a release build), else a skip."""
    binary = next(
        (p for p in (REPO_ROOT / "target" / kind / "examples" / "segment_csv" for kind in ("release", "debug")) if p.is_file()),
        None,
    )
    sources = [REPO_ROOT / "segcore" / "src" / "segmenter" / "cli.rs",
               REPO_ROOT / "segcore" / "src" / "data" / "parquet" / "mod.rs",
               REPO_ROOT / "segcore" / "src" / "data" / "parquet" / "check.rs"]
    if binary is None or any(binary.stat().st_mtime < source.stat().st_mtime for source in sources):
        pytest.skip("the segment_csv example is not built or older than its source "
                    "(cargo build --release --example segment_csv)")
    return str(binary)


def test_command_line_on_the_gzip_log(tmp_path) -> None:
    path = require_data(RETAIL)
    binary = _command_line()
    out = tmp_path / "segments"
    run = lambda *extra: subprocess.run(  # noqa: E731
        [str(binary), "--transactions", str(path), "--out", str(out), "--clusters", "4", *extra],
        capture_output=True, text=True, env={**os.environ},
    )
    first = run()
    assert first.returncode == 0, first.stderr
    assert "Quantity x UnitPrice" in first.stdout
    assert (out / "segmenter.json").is_file() and (out / "report.html").is_file()
    model = segcore.Segmenter.load(out / "segmenter.json")
    assert model.n_clusters_ == 4
    again = run()
    assert again.returncode == 1 and "--overwrite" in again.stderr
    assert run("--overwrite").returncode == 0
    usage = subprocess.run([str(binary), str(path)], capture_output=True, text=True)
    assert usage.returncode == 2 and "--transactions" in usage.stderr
    assert "USAGE" in subprocess.run([str(binary), "--help"], capture_output=True, text=True).stdout


def test_command_line_on_the_log_as_pandas_writes_parquet(tmp_path) -> None:
    # The same Online Retail log through pandas' to_parquet (pyarrow, snappy, the timestamps
    # as datetime64): the core reads it into the same log as the gzip CSV, so the segments are
    # the same bits.
    pytest.importorskip("pyarrow")
    path = require_data(RETAIL)
    binary = _command_line()
    log = pd.read_csv(path, dtype={"InvoiceNo": str}, parse_dates=["InvoiceDate"])
    parquet = tmp_path / "online_retail.parquet"
    log.to_parquet(parquet, index=False)
    assert parquet.read_bytes()[:4] == b"PAR1"

    def segment(source, out):
        run = subprocess.run([binary, "--transactions", str(source), "--out", str(out), "--clusters", "4"],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert "Quantity x UnitPrice" in run.stdout
        return segcore.Segmenter.load(out / "segmenter.json")

    from_parquet = segment(parquet, tmp_path / "parquet")
    from_csv = segment(path, tmp_path / "csv")
    assert from_parquet.labels_.shape == (4_372,)
    np.testing.assert_array_equal(from_parquet.labels_, from_csv.labels_)
    assert from_parquet.segment_names_ == from_csv.segment_names_
    assert "online_retail.parquet" in (tmp_path / "parquet" / "report.html").read_text()


def test_command_line_refuses_unreadable_parquet_clearly(tmp_path) -> None:
    pytest.importorskip("pyarrow")
    binary = _command_line()
    customers, transactions, _ = segcore.datasets.make_b2b(120, random_state=3)

    def run(frame: pd.DataFrame, name: str, **options: object) -> subprocess.CompletedProcess:
        file = tmp_path / name
        frame.to_parquet(file, index=False, **options)
        return subprocess.run([binary, "--customers", str(file), "--out", str(tmp_path / name.split(".")[0])],
                              capture_output=True, text=True)

    ok = run(customers, "customers.parquet")
    assert ok.returncode == 0, ok.stderr
    zstd = run(customers, "zstd.parquet", compression="zstd")
    assert zstd.returncode == 1 and "zstd.parquet" in zstd.stderr and "compressed with zstd" in zstd.stderr
    nested = run(customers.assign(tags=[[1, 2]] * len(customers)), "nested.parquet")
    assert nested.returncode == 1 and "`tags` is nested" in nested.stderr, nested.stderr
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes((tmp_path / "customers.parquet").read_bytes()[:300])
    broken = subprocess.run([binary, "--customers", str(corrupt), "--out", str(tmp_path / "corrupt")],
                            capture_output=True, text=True)
    assert broken.returncode == 1 and "corrupt.parquet" in broken.stderr, broken.stderr
    assert "panicked" not in broken.stderr
