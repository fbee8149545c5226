"""Type stubs of the compiled extension (the Rust side of segcore's Python API)."""

from typing import Any, Callable, Optional, Protocol, Tuple, TypedDict, Union, final

import numpy as np
import numpy.typing as npt

__version__: str

class _KMeansModel:
    """What the two k-means models share (a stub-only base: no such class at run time)."""
    def predict(self, x: npt.NDArray[np.floating]) -> npt.NDArray[np.int32]: ...
    def transform(self, x: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]: ...
    def score(self, x: npt.NDArray[np.floating], sample_weight: Optional[npt.NDArray[np.floating]] = None) -> float: ...
    @property
    def cluster_centers(self) -> npt.NDArray[np.floating]: ...
    @property
    def inertia(self) -> float: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def n_features(self) -> int: ...
    @property
    def dtype(self) -> str: ...
    def to_json(self) -> str: ...

@final
class KMeansModel(_KMeansModel):
    @staticmethod
    def fit(
        x: npt.NDArray[np.floating],
        sample_weight: Optional[npt.NDArray[np.floating]],
        *,
        n_clusters: int,
        init: str,
        init_centers: Optional[npt.NDArray[np.float64]],
        n_init: Optional[int],
        max_iter: int,
        tol: float,
        random_state: int,
        algorithm: str,
    ) -> "KMeansModel": ...
    @property
    def labels(self) -> npt.NDArray[np.int32]: ...
    @property
    def converged(self) -> bool: ...
    @staticmethod
    def from_json(document: str) -> "KMeansModel": ...
    def aligned_to(self, previous_centers: npt.NDArray[np.float64]) -> "KMeansModel": ...

@final
class StandardScalerModel:
    @staticmethod
    def fit(
        x: npt.NDArray[np.floating],
        with_mean: bool,
        with_std: bool,
        sample_weight: Optional[npt.NDArray[np.floating]] = None,
    ) -> "StandardScalerModel": ...
    def transform(self, x: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]: ...
    def inverse_transform(self, z: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]: ...
    @property
    def mean(self) -> npt.NDArray[np.floating]: ...
    @property
    def scale(self) -> npt.NDArray[np.floating]: ...
    @property
    def variance(self) -> npt.NDArray[np.floating]: ...
    @property
    def constant_columns(self) -> npt.NDArray[np.uintp]: ...
    @property
    def dtype(self) -> str: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(document: str) -> "StandardScalerModel": ...

def profile_segments(
    features: npt.NDArray[np.float64],
    feature_names: Optional[list[str]],
    labels: npt.NDArray[np.int64],
    n_segments: Optional[int],
) -> Tuple[str, str]: ...

_Factorized = Tuple[npt.NDArray[np.int32], list[str]]
_Ids = npt.NDArray[np.int64] | list[str]
class _ArrowStream(Protocol):
    """A text column with an Arrow string stream (polars, pandas' Arrow-backed strings)."""

    def __arrow_c_stream__(self, requested_schema: object = ..., /) -> object: ...

_Customers = npt.NDArray[np.int64] | Tuple[npt.NDArray[np.int32], _Ids] | _ArrowStream
_TxInput = Tuple[
    _Customers,
    Tuple[npt.NDArray[np.int64] | list[str], int],
    npt.NDArray[np.float64] | Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]],
    Optional[npt.NDArray[np.float64]],
    Optional[_Factorized],
    Optional[_Factorized],
]
_RfmRule = Tuple[str, Tuple[int, int], Tuple[int, int], Tuple[int, int]]

def behaviour_features(
    customer_ids: Optional[_Ids],
    tx: _TxInput,
    names: Tuple[str, str, str, str],
    as_of: Optional[int] = None,
    features: Optional[list[str]] = None,
    trend_window_months: int = 12,
    on_invalid: str = "raise",
) -> Tuple[list[str], npt.NDArray[np.float64], int, int, Optional[npt.NDArray[np.uint32]]]: ...
def segmentation_features(
    customer_ids: _Ids,
    annual_revenue: Optional[npt.NDArray[np.float64]],
    tx: _TxInput,
    names: Tuple[str, str, str, str],
) -> Tuple[list[str], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def default_rfm_rules() -> list[_RfmRule]: ...
def rfm_scores(
    recency_days: npt.NDArray[np.float64],
    frequency: npt.NDArray[np.float64],
    monetary: npt.NDArray[np.float64],
    n_scores: int = 5,
    rules: Optional[list[_RfmRule]] = None,
    unmatched: Optional[str] = None,
    no_orders: Optional[str] = None,
) -> Tuple[
    npt.NDArray[np.uint8],
    npt.NDArray[np.uint8],
    npt.NDArray[np.uint8],
    npt.NDArray[np.uint16],
    list[str],
    npt.NDArray[np.uint32],
    list[str],
]: ...
def abc_classes(
    values: npt.NDArray[np.float64], a_share: float = 0.8, b_share: float = 0.15
) -> Tuple[npt.NDArray[np.uint8], Tuple[int, int, int], Tuple[float, float, float]]: ...
def concentration(
    values: npt.NDArray[np.float64], n_points: int, top_fractions: list[float], shares: list[float]
) -> Tuple[float, float, list[float], list[float], list[float], list[float]]: ...
def lifecycle_stages(
    customer_ids: Optional[_Ids],
    tx: _TxInput,
    names: Tuple[str, str, str, str],
    touchpoints: Optional[Tuple[_TxInput, Tuple[str, str, str, str]]] = None,
    as_of: Optional[int] = None,
    on_invalid: str = "raise",
    new_days: int = 90,
    active_days: int = 90,
    at_risk_days: int = 180,
    lapsed_days: int = 365,
) -> Tuple[npt.NDArray[np.uint8], list[str], int, int, int, Optional[npt.NDArray[np.uint32]]]: ...
def make_b2b(n_customers: int, years: int, random_state: int) -> dict: ...

@final
class WardModel:
    @staticmethod
    def fit(
        x: npt.NDArray[np.floating],
        sample_weight: Optional[npt.NDArray[np.floating]],
        *,
        n_clusters: Optional[int],
        distance_threshold: Optional[float],
        micro_clusters: Optional[int],
        micro_max_iter: int,
        random_state: int,
        progress: Optional[Callable[[int, int], object]] = None,
    ) -> "WardModel": ...
    def predict(self, x: npt.NDArray[np.floating]) -> npt.NDArray[np.int64]: ...
    def recut_n_clusters(self, n_clusters: int) -> "WardModel": ...
    def recut_height(self, distance_threshold: float) -> "WardModel": ...
    def split_segment(self, label: int, n_sub_segments: int) -> "WardModel": ...
    def n_clusters_by_height(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
    @property
    def labels(self) -> npt.NDArray[np.int64]: ...
    @property
    def linkage(self) -> npt.NDArray[np.float64]: ...
    @property
    def n_clusters(self) -> int: ...
    @property
    def n_leaves(self) -> int: ...
    @property
    def n_features(self) -> int: ...
    @property
    def centroids(self) -> npt.NDArray[np.float64]: ...
    @property
    def segment_weights(self) -> npt.NDArray[np.float64]: ...
    @property
    def micro_cluster_labels(self) -> Optional[npt.NDArray[np.int64]]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(document: str) -> "WardModel": ...

def ward_linkage(
    x: npt.NDArray[np.floating],
    sample_weight: Optional[npt.NDArray[np.floating]] = None,
    progress: Optional[Callable[[int, int], object]] = None,
) -> npt.NDArray[np.float64]: ...
_Matrix = npt.NDArray[np.float64] | npt.NDArray[np.float32]

@final
class PcaModel:
    @staticmethod
    def fit(
        x: _Matrix,
        *,
        n_components: Optional[int],
        variance_fraction: Optional[float],
        whiten: bool,
        svd_solver: str,
        random_state: int,
        n_oversamples: int,
        iterated_power: Optional[int],
        sample_weight: Optional[npt.NDArray[np.floating]] = None,
    ) -> "PcaModel": ...
    def transform(self, x: _Matrix) -> _Matrix: ...
    def inverse_transform(self, z: _Matrix) -> _Matrix: ...
    @property
    def components(self) -> _Matrix: ...
    @property
    def explained_variance(self) -> _Matrix: ...
    @property
    def explained_variance_ratio(self) -> _Matrix: ...
    @property
    def singular_values(self) -> _Matrix: ...
    @property
    def mean(self) -> _Matrix: ...
    @property
    def noise_variance(self) -> float: ...
    @property
    def n_components(self) -> int: ...
    @property
    def n_features(self) -> int: ...
    @property
    def n_samples(self) -> int: ...
    @property
    def solver(self) -> str: ...
    @property
    def dtype(self) -> str: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(document: str) -> "PcaModel": ...
    def __reduce__(self) -> tuple[Callable[[str], "PcaModel"], tuple[str]]: ...

def silhouette_score(
    x: _Matrix, labels: npt.NDArray[np.int64], sample_size: Optional[int] = None, seed: int = 0
) -> float: ...
def silhouette_samples(x: _Matrix, labels: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]: ...
def calinski_harabasz_score(x: _Matrix, labels: npt.NDArray[np.int64]) -> float: ...
def davies_bouldin_score(x: _Matrix, labels: npt.NDArray[np.int64]) -> float: ...
def inertia(x: _Matrix, labels: npt.NDArray[np.int64]) -> float: ...
def adjusted_rand_score(
    labels_true: npt.NDArray[np.int64], labels_pred: npt.NDArray[np.int64]
) -> float: ...
def normalized_mutual_info_score(
    labels_true: npt.NDArray[np.int64], labels_pred: npt.NDArray[np.int64]
) -> float: ...
def mutual_info_score(
    labels_true: npt.NDArray[np.int64], labels_pred: npt.NDArray[np.int64]
) -> float: ...
def contingency_matrix(
    labels_true: npt.NDArray[np.int64], labels_pred: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]: ...
def select_k(
    x: _Matrix,
    *,
    k_values: list[int],
    method: str,
    covariance_type: str,
    n_init: Optional[int],
    random_state: int,
    silhouette_sample_size: Optional[int],
    gap_references: int,
    gap_reference: str,
    stability_resamples: int,
    stability_fraction: float,
    sample_size: Optional[int] = None,
    resample_n_init: Optional[int] = None,
    gap_sample_size: Optional[int] = None,
    max_sample_size: Optional[int] = None,
    criteria_parts: int = 1,
    progress: Optional[Callable[[int, int], object]] = None,
) -> dict[str, Any]: ...

def align_labels(
    previous_centers: npt.NDArray[np.float64], new_centers: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]: ...

@final
class MiniBatchKMeansModel(_KMeansModel):
    @staticmethod
    def fit(
        x: npt.NDArray[np.floating],
        sample_weight: Optional[npt.NDArray[np.floating]],
        *,
        n_clusters: int,
        init: str,
        init_centers: Optional[npt.NDArray[np.float64]],
        n_init: Optional[int],
        max_iter: int,
        batch_size: int,
        tol: float,
        max_no_improvement: Optional[int],
        init_size: Optional[int],
        reassignment_ratio: float,
        random_state: int,
        compute_labels: bool,
        start_stream: bool,
    ) -> "MiniBatchKMeansModel": ...
    def partial_fit(
        self, x: npt.NDArray[np.floating], sample_weight: Optional[npt.NDArray[np.floating]] = None
    ) -> "MiniBatchKMeansModel": ...
    @property
    def labels(self) -> Optional[npt.NDArray[np.int32]]: ...
    @property
    def n_steps(self) -> int: ...
    @property
    def counts(self) -> npt.NDArray[np.floating]: ...
    @staticmethod
    def from_json(document: str) -> "MiniBatchKMeansModel": ...

@final
class GaussianMixtureModel:
    @staticmethod
    def fit(
        x: npt.NDArray[np.floating],
        sample_weight: Optional[npt.NDArray[np.floating]],
        *,
        n_components: int,
        covariance_type: str,
        tol: float,
        reg_covar: float,
        max_iter: int,
        n_init: int,
        init_params: str,
        weights_init: Optional[npt.NDArray[np.float64]],
        means_init: Optional[npt.NDArray[np.float64]],
        precisions_init: Optional[npt.NDArray[np.float64]],
        random_state: int,
        prior: object = None,
    ) -> "GaussianMixtureModel": ...
    def predict(self, x: npt.NDArray[np.floating]) -> npt.NDArray[np.int64]: ...
    def predict_proba(self, x: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]: ...
    def uncertainty(self, x: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]: ...
    def score_samples(self, x: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]: ...
    def score(self, x: npt.NDArray[np.floating]) -> float: ...
    def bic(self, x: npt.NDArray[np.floating]) -> float: ...
    def aic(self, x: npt.NDArray[np.floating]) -> float: ...
    def sample(self, n_samples: int, seed: int) -> tuple[npt.NDArray[np.floating], npt.NDArray[np.int64]]: ...
    @property
    def weights(self) -> npt.NDArray[np.floating]: ...
    @property
    def means(self) -> npt.NDArray[np.floating]: ...
    @property
    def covariances(self) -> npt.NDArray[np.floating]: ...
    @property
    def precisions(self) -> npt.NDArray[np.floating]: ...
    @property
    def precisions_cholesky(self) -> npt.NDArray[np.floating]: ...
    @property
    def lower_bound(self) -> float: ...
    @property
    def lower_bounds(self) -> list[float]: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def converged(self) -> bool: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def n_features(self) -> int: ...
    @property
    def n_parameters(self) -> int: ...
    @property
    def covariance_type(self) -> str: ...
    @property
    def model_name(self) -> Optional[str]: ...
    @property
    def log_likelihood(self) -> Optional[float]: ...
    @property
    def mclust_bic(self) -> Optional[float]: ...
    @property
    def n_starts_at_best(self) -> Optional[int]: ...
    def starts(self) -> list[dict[str, object]]: ...
    @property
    def dtype(self) -> str: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(document: str) -> "GaussianMixtureModel": ...

class _MixtureRow(TypedDict, total=False):
    n_components: int
    covariance_type: str
    n_parameters: int
    bic: float
    aic: float
    lower_bound: float
    log_likelihood: float
    converged: bool
    n_iter: int
    n_starts: int
    n_starts_at_best: int
    error: Optional[str]

def select_mixture(
    x: npt.NDArray[np.floating],
    n_components: list[int],
    covariance_types: list[str],
    *,
    tol: float,
    reg_covar: float,
    max_iter: int,
    n_init: int,
    init_params: str,
    random_state: int,
    prior: object = None,
) -> tuple[
    list[_MixtureRow], int, Optional[int], Optional[float], str, GaussianMixtureModel
]: ...



_PipelineColumn = Union[npt.NDArray[np.float64], tuple[list[str], npt.NDArray[np.int64]]]

@final
class FeaturePipelineModel:
    @staticmethod
    def fit(spec_json: str, n_rows: int, columns: list[tuple[str, _PipelineColumn]]) -> "FeaturePipelineModel": ...
    def transform(
        self, n_rows: int, columns: list[tuple[str, _PipelineColumn]]
    ) -> tuple[npt.NDArray[np.float64], list[tuple[str, int]], list[tuple[str, int]]]: ...
    @property
    def feature_names_out(self) -> list[str]: ...
    @property
    def input_columns(self) -> list[str]: ...
    @property
    def report_json(self) -> str: ...
    @property
    def spec_json(self) -> str: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(document: str) -> "FeaturePipelineModel": ...

# --- segment profiles (issue 8) ---
_ColumnInput = npt.NDArray[np.float64] | Tuple[list[str], npt.NDArray[np.int64]]

# A result table as columns: numpy arrays (numbers, flags; NaN where a figure is missing) and
# lists (text), one entry per column.
_Columns = dict[str, Any]

@final
class ProfileReport:
    def to_json(self) -> str: ...
    def to_markdown(self) -> str: ...
    def to_html(self) -> str: ...
    @property
    def n_customers(self) -> int: ...
    @property
    def warnings(self) -> list[str]: ...
    def segments_table(self) -> _Columns: ...
    def numeric_table(self) -> _Columns: ...
    def categorical_table(self) -> _Columns: ...
    def fairness_table(self) -> _Columns: ...
    def behaviour_table(self) -> _Columns: ...
    def membership_table(self) -> Optional[tuple[_Columns, float, Optional[int], Optional[float]]]: ...
    @staticmethod
    def from_json(document: str) -> "ProfileReport": ...

def build_profile(
    columns: list[Tuple[str, _ColumnInput]],
    n_rows: int,
    labels: npt.NDArray[np.int64],
    *,
    revenue: Optional[str | npt.NDArray[np.float64]],
    margin: Optional[str | npt.NDArray[np.float64]],
    sensitive: list[str],
    min_group_size: int,
    lang: str,
    names: dict[int, str],
    uncertainty: Optional[npt.NDArray[np.float64]] = None,
    uncertainty_threshold: float = 0.2,
) -> ProfileReport: ...
def explain_centroids(
    centroids: npt.NDArray[np.float64],
    customer: npt.NDArray[np.float64],
    feature_names: list[str],
) -> str: ...
def explain_mixture_document(
    model_document: str,
    customer: npt.NDArray[np.float64],
    feature_names: list[str],
) -> str: ...
@final
class MigrationReport:
    def transitions_table(self) -> _Columns: ...
    def dense(self) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.float64]]: ...
    @property
    def before_segments(self) -> list[int]: ...
    @property
    def after_segments(self) -> list[int]: ...
    @property
    def n_customers(self) -> int: ...
    @property
    def stayed_share(self) -> float: ...
    @property
    def adjusted_rand_index(self) -> float: ...
    def to_json(self) -> str: ...

def migration(
    labels_before: npt.NDArray[np.int64], labels_after: npt.NDArray[np.int64], min_group_size: int = 1
) -> MigrationReport: ...
def movers(
    labels_before: npt.NDArray[np.int64],
    labels_after: npt.NDArray[np.int64],
    from_segment: int,
    to_segment: int,
) -> list[int]: ...
def segment_rules(
    columns: list[Tuple[str, _ColumnInput]],
    n_rows: int,
    labels: npt.NDArray[np.int64],
    *,
    max_conditions: int,
    min_group_size: int,
    sample_size: int,
    random_state: int,
) -> _Columns: ...
def pseudonymise(ids: list[str], key: bytes) -> list[str]: ...

# --- the Segmenter (issue 9) ---
_TxArgument = Tuple[_TxInput, Tuple[str, str, str, str]]

class _ExtremeCustomers(TypedDict):
    customer: list[str]
    feature: list[str]
    robust_sds: npt.NDArray[np.float64]
    segment: npt.NDArray[np.int64]

class _RecordAssignment(TypedDict, total=False):
    segment: Optional[int]
    name: Optional[str]
    probabilities: Optional[list[float]]
    reason: Optional[str]
    uncertainty: float
    extreme: str

@final
class SegmenterModel:
    @property
    def extreme_customers(self) -> _ExtremeCustomers: ...
    @staticmethod
    def fit(
        params: str,
        ids: Optional[list[str]],
        columns: list[Tuple[str, _ColumnInput]],
        tx: Optional[_TxArgument] = None,
        progress: Optional[Callable[[str, float], object]] = None,
    ) -> "SegmenterModel": ...
    def predict(
        self,
        ids: list[str],
        columns: list[Tuple[str, _ColumnInput]],
        tx: Optional[_TxArgument] = None,
        as_of: Optional[int] = None,
    ) -> Tuple[
        npt.NDArray[np.int64],
        list[Optional[str]],
        Optional[npt.NDArray[np.float64]],
        Optional[npt.NDArray[np.float64]],
        list[Optional[str]],
        list[Optional[str]],
    ]: ...
    def predict_record(self, record: dict[str, object]) -> _RecordAssignment: ...
    def transform(
        self, ids: list[str], columns: list[Tuple[str, _ColumnInput]], tx: Optional[_TxArgument] = None
    ) -> npt.NDArray[np.float64]: ...
    def score(
        self, ids: list[str], columns: list[Tuple[str, _ColumnInput]], tx: Optional[_TxArgument]
    ) -> float: ...
    def explain(
        self, ids: list[str], columns: list[Tuple[str, _ColumnInput]], tx: Optional[_TxArgument], row: int
    ) -> str: ...
    def renamed(self, segment: object, name: str) -> "SegmenterModel": ...
    @property
    def feature_names_out(self) -> list[str]: ...
    @property
    def spec_json(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def repr_html(self) -> str: ...
    @property
    def spec_text(self) -> str: ...
    @property
    def params_form(self) -> str: ...
    @property
    def selection(self) -> Optional[dict[str, Any]]: ...
    @property
    def k_choice(self) -> Optional[tuple[str, int, list[int], list[float], list[float]]]: ...
    @property
    def warnings(self) -> list[str]: ...
    @property
    def fitted_attributes(self) -> dict[str, Any]: ...
    @property
    def reads_transactions(self) -> bool: ...
    def default_as_of(self, last_day: Optional[int]) -> Optional[int]: ...
    @property
    def profile_json(self) -> str: ...
    def report_html(
        self,
        title: object = None,
        source: object = None,
        currency: object = None,
        units: object = None,
        labels: object = None,
        date_range: Optional[Tuple[int, int]] = None,
        tx: Optional[_TxArgument] = None,
    ) -> str: ...
    def value_table(self) -> Optional[tuple[_Columns, dict[str, Any]]]: ...
    def customer_value(
        self, ids: list[str], columns: list[Tuple[str, _ColumnInput]], tx: Optional[_TxArgument] = None
    ) -> tuple[_Vector, _Vector, _Vector]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(document: str) -> "SegmenterModel": ...

@final
class KPrototypesModel:
    @staticmethod
    def fit(
        numeric: npt.NDArray[np.float64],
        categorical: npt.NDArray[np.uint32],
        sample_weight: Optional[npt.NDArray[np.float64]],
        *,
        n_clusters: int,
        gamma: Optional[float],
        init: object,
        categories: list[npt.NDArray[Any]],
        names: list[str],
        n_init: int,
        max_iter: int,
        random_state: int,
        update: object,
    ) -> "KPrototypesModel": ...
    def predict(
        self, numeric: npt.NDArray[np.float64], categorical: npt.NDArray[np.uint32]
    ) -> npt.NDArray[np.int64]: ...
    @property
    def labels(self) -> npt.NDArray[np.int64]: ...
    @property
    def cost(self) -> float: ...
    @property
    def gamma(self) -> float: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def converged(self) -> bool: ...
    @property
    def numeric_centroids(self) -> npt.NDArray[np.float64]: ...
    @property
    def categorical_modes(self) -> npt.NDArray[np.uint32]: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(document: str) -> "KPrototypesModel": ...

@final
class LatentClassModel:
    @staticmethod
    def fit(
        codes: npt.NDArray[np.uint32],
        sample_weight: Optional[npt.NDArray[np.float64]],
        *,
        n_components: int,
        n_init: int,
        max_iter: int,
        tol: float,
        random_state: int,
    ) -> "LatentClassModel": ...
    def predict_proba(self, codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.float64]: ...
    def predict(self, codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]: ...
    def score_samples(self, codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.float64]: ...
    def score(self, codes: npt.NDArray[np.uint32]) -> float: ...
    def bic(self, codes: npt.NDArray[np.uint32]) -> float: ...
    def aic(self, codes: npt.NDArray[np.uint32]) -> float: ...
    @property
    def weights(self) -> npt.NDArray[np.float64]: ...
    @property
    def item_probabilities(self) -> list[npt.NDArray[np.float64]]: ...
    @property
    def log_likelihood(self) -> float: ...
    @property
    def n_parameters(self) -> int: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def converged(self) -> bool: ...
    def to_json(self) -> str: ...
    @staticmethod
    def from_json(document: str) -> "LatentClassModel": ...

def latent_class_table(
    codes: npt.NDArray[np.uint32],
    sample_weight: Optional[npt.NDArray[np.float64]],
    n_components: list[int],
    *,
    n_init: int,
    max_iter: int,
    tol: float,
    random_state: int,
) -> dict[str, npt.NDArray[Any]]: ...
def read_mixed(
    x: Any,
    categorical: Any,
    *,
    fitted: Optional[list[npt.NDArray[Any]]] = None,
    n_features: Optional[int] = None,
    all_categorical: bool = False,
    unseen_mismatch: bool = False,
    missing_code: bool = False,
) -> tuple[list[str], list[int], list[npt.NDArray[Any]], npt.NDArray[np.float64], npt.NDArray[np.uint32]]: ...

class _Correspondence:
    """What CA and MCA's fitted models share (a stub-only base: no such class at run time)."""
    @property
    def percentage_of_variance(self) -> npt.NDArray[np.float64]: ...
    @property
    def cumulative_percentage_of_variance(self) -> npt.NDArray[np.float64]: ...
    @property
    def total_inertia(self) -> float: ...
    @property
    def column_coordinates(self) -> npt.NDArray[np.float64]: ...
    @property
    def column_masses(self) -> npt.NDArray[np.float64]: ...
    def to_json(self) -> str: ...

@final
class McaModel(_Correspondence):
    @staticmethod
    def fit(
        codes: npt.NDArray[np.uint32],
        sample_weight: Optional[npt.NDArray[np.float64]],
        *,
        n_components: int,
        correction: object,
    ) -> "McaModel": ...
    def transform(self, rows: npt.NDArray[np.uint32]) -> npt.NDArray[np.float64]: ...
    @property
    def principal_inertias(self) -> npt.NDArray[np.float64]: ...
    @property
    def eigenvalues(self) -> npt.NDArray[np.float64]: ...
    @staticmethod
    def from_json(document: str) -> "McaModel": ...

@final
class CaModel(_Correspondence):
    @staticmethod
    def fit(table: npt.NDArray[np.float64], *, n_components: int) -> "CaModel": ...
    def transform(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    @property
    def eigenvalues(self) -> npt.NDArray[np.float64]: ...
    @property
    def row_coordinates(self) -> npt.NDArray[np.float64]: ...
    @property
    def row_masses(self) -> npt.NDArray[np.float64]: ...
    @staticmethod
    def from_json(document: str) -> "CaModel": ...
def partition_task_run(
    task: str,
    x: _Matrix,
    partition: int,
    sample_weight: Optional[npt.NDArray[np.float64] | npt.NDArray[np.float32]] = None,
) -> str: ...
def partial_merge(parts: list[str]) -> str: ...
def partial_merge_partitions(parts: list[Tuple[int, str]]) -> str: ...
def log_last_day(dates: Tuple[npt.NDArray[np.int64] | list[str], int]) -> Optional[int]: ...
@final
class ParquetRows:
    def __new__(
        cls, path: str, columns: list[str], row_groups: Optional[Tuple[int, int]], float32: bool, rows: int
    ) -> "ParquetRows": ...
    def __call__(self, *args: Any, **kwargs: Any) -> npt.NDArray[np.float32] | npt.NDArray[np.float64]: ...
    def run(self, task: str, partition: int, sample_weight: Optional[npt.NDArray[np.floating[Any]]] = None) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def rows(self) -> int: ...
    def __reduce__(self) -> tuple[type["ParquetRows"], tuple[str, list[str], Optional[Tuple[int, int]], bool, int]]: ...
def parquet_rows_plan(
    path: object,  # a path (str or os.PathLike) or a sequence of them
    columns: Optional[list[str]] = None,
    float32: Optional[bool] = None,
    split_row_groups: bool = False,
) -> Tuple[list[ParquetRows], list[str], list[str], bool]: ...
def scaler_from_moments(stats: str, with_mean: bool, with_std: bool, float32: bool) -> Tuple[str, int, float]: ...
def pca_from_moments(
    stats: str,
    *,
    n_components: Optional[int],
    variance_fraction: Optional[float],
    whiten: bool,
    float32: bool,
) -> str: ...

@final
class KMeansDriver:
    def __new__(
        cls,
        *,
        n_clusters: int,
        init_centers: Optional[npt.NDArray[np.float64]],
        max_iter: int,
        tol: float,
        random_state: int,
        n_init: Optional[int],
        float32: bool,
        oversampling_factor: Optional[float],
        init_rounds: int,
    ) -> "KMeansDriver": ...
    def next_task(self) -> Optional[str]: ...
    def receive(self, stats: str) -> None: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def n_rows(self) -> int: ...
    def model_json(self) -> str: ...

@final
class GmmDriver:
    def __new__(
        cls,
        *,
        n_components: int,
        covariance_type: str,
        tol: float,
        reg_covar: float,
        max_iter: int,
        n_init: int,
        init_params: str,
        weights_init: Optional[npt.NDArray[np.float64]],
        means_init: Optional[npt.NDArray[np.float64]],
        precisions_init: Optional[npt.NDArray[np.float64]],
        random_state: int,
        float32: bool,
    ) -> "GmmDriver": ...
    def next_task(self) -> Optional[str]: ...
    def receive(self, stats: str) -> None: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def n_rows(self) -> int: ...
    def model_json(self) -> str: ...
# --- customer lifetime value (segcore.clv) ---

_Vector = npt.NDArray[np.float64]

class _ClvModel:
    """What the three fitted CLV models share (a stub-only base: no such class at run time)."""
    @property
    def params(self) -> list[Tuple[str, float]]: ...
    @property
    def standard_errors(self) -> Optional[list[Tuple[str, float]]]: ...
    @property
    def confidence_intervals(self) -> Optional[list[Tuple[str, Tuple[float, float]]]]: ...
    @property
    def log_likelihood(self) -> float: ...
    @property
    def converged(self) -> bool: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def n_customers(self) -> int: ...
    def to_json(self) -> str: ...

class _PurchaseModel(_ClvModel):
    def predict_purchases(
        self, t: Union[float, _Vector], frequency: _Vector, recency: _Vector, age: _Vector
    ) -> _Vector: ...
    def probability_alive(self, frequency: _Vector, recency: _Vector, age: _Vector) -> _Vector: ...

@final
class BetaGeoModel(_PurchaseModel):
    @staticmethod
    def fit(
        frequency: _Vector, recency: _Vector, t: _Vector, *, penalizer_coef: float, tol: Optional[float], max_iter: int
    ) -> "BetaGeoModel": ...
    @staticmethod
    def from_params(r: float, alpha: float, a: float, b: float) -> "BetaGeoModel": ...
    @staticmethod
    def from_json(document: str) -> "BetaGeoModel": ...

@final
class ParetoNbdModel(_PurchaseModel):
    @staticmethod
    def fit(
        frequency: _Vector, recency: _Vector, t: _Vector, *, penalizer_coef: float, tol: Optional[float], max_iter: int
    ) -> "ParetoNbdModel": ...
    @staticmethod
    def from_params(r: float, alpha: float, s: float, beta: float) -> "ParetoNbdModel": ...
    @staticmethod
    def from_json(document: str) -> "ParetoNbdModel": ...

@final
class GammaGammaModel(_ClvModel):
    @staticmethod
    def fit(
        frequency: _Vector,
        monetary_value: _Vector,
        *,
        penalizer_coef: float,
        tol: Optional[float],
        max_iter: int,
        exclude_invalid: bool,
    ) -> "GammaGammaModel": ...
    @staticmethod
    def from_params(p: float, q: float, v: float) -> "GammaGammaModel": ...
    @property
    def n_excluded(self) -> int: ...
    def conditional_expected_average_profit(self, frequency: _Vector, monetary_value: _Vector) -> _Vector: ...
    def customer_lifetime_value(
        self,
        purchase_model: Union[BetaGeoModel, ParetoNbdModel],
        frequency: _Vector,
        recency: _Vector,
        t: _Vector,
        monetary_value: _Vector,
        *,
        time: int,
        discount_rate: float,
        freq: str,
    ) -> _Vector: ...
    @staticmethod
    def from_json(document: str) -> "GammaGammaModel": ...

def clv_summary(
    tx: _TxInput,
    names: tuple[str, str, str, str],
    observation_end: Optional[int] = None,
    freq: str = "D",
    on_invalid: str = "raise",
    *,
    monetary: bool = True,
) -> tuple[npt.NDArray[np.int64], dict[str, _Vector], dict[str, Any]]: ...
def segment_value(
    labels: npt.NDArray[np.int64],
    n_segments: Optional[int],
    clv: _Vector,
    probability_alive: _Vector,
    *,
    lapse_threshold: float,
    min_group_size: int,
) -> _Columns: ...
def cross_sell(
    tx: _TxInput,
    names: tuple[str, str, str, str],
    segments: tuple[_Ids, npt.NDArray[np.float64]],
    n_segments: Optional[int],
    probability_alive: Optional[tuple[_Ids, npt.NDArray[np.float64]]],
    *,
    min_penetration: float,
    top_k: int,
    min_group_size: int,
) -> tuple[_Columns, _Columns]: ...
def migration_forecast(
    snapshots: list[npt.NDArray[np.int64]],
    n_segments: Optional[int],
    *,
    horizon: int,
    min_group_size: int,
) -> tuple[_Vector, _Vector, _Vector, _Vector]: ...

# --- exports as they come, feature labels (issue 26) ---
def transaction_roles(
    names: list[str], given: object, customer_id: str, source_name: str = "transactions"
) -> dict[str, Optional[str]]: ...
def default_transaction_columns() -> list[tuple[str, str]]: ...
def feature_label(
    name: str, language: str = "en", currency: Optional[str] = None
) -> Tuple[str, Optional[str]]: ...
def encode_labels(
    labels: np.ndarray, name: str = "labels", dense: bool = False, segments_only: bool = False
) -> Tuple[np.ndarray, Optional[np.ndarray], int]: ...
