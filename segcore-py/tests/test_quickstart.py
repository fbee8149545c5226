"""The first hour in Jupyter: the summary displays as text, the k evidence plots from the fitted
attribute, and a text column fed to an estimator names itself in segcore's own error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segcore


@pytest.fixture(scope="module")
def fitted():
    customers, transactions, _ = segcore.datasets.make_b2b(400, random_state=0)
    return segcore.Segmenter(k_range=(3, 4), progress=False).fit(customers, transactions)


def test_summary_displays_in_jupyter(fitted):
    summary = fitted.summary()
    assert isinstance(summary, str) and "Number of segments" in summary
    assert repr(summary) == str(summary), "the plain repr is the text itself, not a quoted string"
    page = summary._repr_html_()
    assert page.startswith("<pre") and "Number of segments" in page
    assert "<b>" not in page.replace("<pre class='segcore-summary'>", "")


def test_criteria_plots_the_fitted_selection(fitted):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for source in (fitted.selection_, fitted, fitted.select_k_):
        figure = segcore.plot.criteria(source)
        assert f"recommended k = {fitted.n_clusters_}" in figure._suptitle.get_text()
        plt.close(figure)


def test_criteria_plots_a_k_choice_table():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    customers, transactions, _ = segcore.datasets.make_b2b(300, random_state=2)
    model = segcore.Segmenter(algorithm="latent_class", k_range=(2, 3), progress=False).fit(customers, transactions)
    figure = segcore.plot.criteria(model.selection_)
    assert figure.axes and f"recommended k = {model.n_clusters_}" in figure._suptitle.get_text()
    plt.close(figure)


def test_text_column_raises_segcore_error_naming_it():
    frame = pd.DataFrame({"orders": [1.0, 2.0, 3.0, 4.0], "industry": ["retail", "it", "it", "retail"]})
    with pytest.raises(segcore.SegcoreError, match="'industry'") as info:
        segcore.KMeans(n_clusters=2).fit(frame)
    assert isinstance(info.value, TypeError)
    with pytest.raises(segcore.exceptions.ColumnTypeError, match="column 1 "):
        segcore.StandardScaler().fit(np.array([[1.0, "a"], [2.0, "b"]], dtype=object))
