"""The Segmenter's HTML report: its content, and what a real browser renders of it.

The browser test prints the report with headless Chromium (to PDF, A4, and to a PNG screenshot)
and reads back what was rendered: the PDF's text (pypdf) must hold the sections, the segment
names, the labelled heatmap and the Lorenz axes, the pages must be A4, and the screenshot must
not be blank. It skips, saying why, where Chromium is not installed (CI installs it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import segcore

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def fitted():
    customers, transactions, _ = segcore.datasets.make_b2b(800, random_state=0)
    model = segcore.Segmenter(k_range=(3, 5), progress=False).fit(customers, transactions)
    return model, transactions


def chromium() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium on PATH (CI installs Debian's chromium); the browser rendering is not checked")


def render(browser: str, page: Path, out: Path, *flags: str) -> None:
    profile = out.parent / "chromium-profile"
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--user-data-dir={profile}", *flags, page.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert out.exists() and out.stat().st_size > 0, f"Chromium wrote no {out.name}: {done.stderr[-2000:]}"


def test_report_html_content(fitted):
    model, transactions = fitted
    page = model.report_html(source="synthetic <B2B> base", currency="EUR", transactions=transactions,
                             labels={"recency_days": "days since the last order"})
    first = transactions["date"].min().date().isoformat()
    last = transactions["date"].max().date().isoformat()
    assert f"{first} to {last}" in page
    for needle in ["Segments at a glance", "What sets each segment apart", f"Why {model.n_clusters_} segments",
                   "How concentrated revenue is", "share of margin", "synthetic &lt;B2B&gt; base", "EUR",
                   "days since the last order", "@page{size:A4"]:
        assert needle in page, needle
    for name in model.segment_names_:
        assert name.replace("&", "&amp;") in page
    for needle in ["http://", "https://", "<script", "src="]:
        assert needle not in page
    # An explicit range wins over the log's; a bad one names the parameter.
    assert "2024-01-01 to 2024-06-30" in model.report_html(date_range=("2024-01-01", "2024-06-30"))
    with pytest.raises(segcore.exceptions.InvalidParameterError, match="date_range"):
        model.report_html(date_range="2024")


def test_report_in_german_and_without_selection():
    customers, transactions, _ = segcore.datasets.make_b2b(300, random_state=1)
    model = segcore.Segmenter(n_clusters=3, language="de", progress=False).fit(customers, transactions)
    page = model.report_html(currency="EUR")
    assert "Segmente auf einen Blick" in page and "vorgegeben" in page


def test_report_rendered_by_chromium(fitted, tmp_path):
    browser = chromium()
    pypdf = pytest.importorskip("pypdf", reason="pypdf reads the printed report (requirements-test.txt)")
    model, transactions = fitted
    page = model.save_report(tmp_path / "report.html", source="synthetic B2B base", currency="EUR",
                             transactions=transactions)
    assert page == tmp_path / "report.html"

    pdf = tmp_path / "report.pdf"
    render(browser, page, pdf, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    reader = pypdf.PdfReader(str(pdf))
    assert 1 <= len(reader.pages) <= 4, f"{len(reader.pages)} pages: not a report read at a glance"
    for p in reader.pages:  # A4 portrait, 595 x 842 points
        assert abs(float(p.mediabox.width) - 595) < 3 and abs(float(p.mediabox.height) - 842) < 3
    # Chromium typesets "fi" and "fl" as ligatures; the text layer keeps them as one glyph.
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages).replace("\ufb01", "fi").replace("\ufb02", "fl")
    for needle in ["Segments at a glance", "share of revenue", "share of margin", "What sets each segment apart",
                   f"Why {model.n_clusters_} segments", "How concentrated revenue is",
                   "share of customers (smallest first)", "days since last order", "much higher", "synthetic B2B base"]:
        assert needle in text, f"{needle!r} not rendered in the PDF"
    for name in model.segment_names_:
        assert " ".join(name.split()) in text, f"segment {name!r} not rendered"

    png = tmp_path / "report.png"
    render(browser, page, png, "--window-size=1240,1754", f"--screenshot={png}")
    import matplotlib.image

    pixels = matplotlib.image.imread(str(png))[..., :3]
    ink = (pixels.mean(axis=2) < 0.9).mean()
    coloured = (np.ptp(pixels, axis=2) > 0.2).mean()
    assert ink > 0.02, f"screenshot nearly blank ({ink:.3%} dark pixels)"
    assert coloured > 0.005, f"no coloured figure in the screenshot ({coloured:.3%} coloured pixels)"
