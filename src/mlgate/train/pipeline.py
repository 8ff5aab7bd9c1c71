"""The default preprocessing in front of every estimator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

MISSING_CATEGORY = "__missing__"
# One-hot columns per categorical feature; rarer categories share one "infrequent" column, so
# that an ID-like text column cannot blow the (dense) feature matrix up to rows x rows.
MAX_CATEGORIES = 100


@dataclass(frozen=True)
class Columns:
    numeric: list[str]
    categorical: list[str]
    dropped: list[str]  # dates, times and other types without a default encoding


def split_columns(features: pd.DataFrame) -> Columns:
    """Numbers and booleans are numeric; text and categories are categorical; the rest drops."""
    import pandas as pd

    numeric: list[str] = []
    categorical: list[str] = []
    dropped: list[str] = []
    for name in features.columns:
        dtype = features[name].dtype
        if pd.api.types.is_bool_dtype(dtype) or (
            pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)
        ):
            numeric.append(str(name))
        elif (
            isinstance(dtype, pd.CategoricalDtype)
            or pd.api.types.is_string_dtype(dtype)
            or pd.api.types.is_object_dtype(dtype)
        ):
            categorical.append(str(name))
        else:
            dropped.append(str(name))
    return Columns(numeric, categorical, dropped)


def build_pipeline(estimator: Any, columns: Columns) -> Any:
    """ColumnTransformer (numeric: impute median + scale; categorical: impute + one-hot that
    ignores unseen categories) followed by the estimator, as one Pipeline."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    transformers: list[tuple[str, Any, list[str]]] = []
    if columns.numeric:
        transformers.append(
            (
                "numeric",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median")),
                        ("scale", StandardScaler()),
                    ]
                ),
                columns.numeric,
            )
        )
    if columns.categorical:
        transformers.append(
            (
                "categorical",
                Pipeline(
                    [
                        # Missing values become one category of their own.
                        (
                            "impute",
                            SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY),
                        ),
                        (
                            "onehot",
                            OneHotEncoder(
                                handle_unknown="ignore",
                                sparse_output=False,
                                max_categories=MAX_CATEGORIES,
                            ),
                        ),
                    ]
                ),
                columns.categorical,
            )
        )
    preprocess = ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0)
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


def normalize_categoricals(features: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """Make every categorical column uniformly strings with NaN for missing values.

    The one-hot encoder rejects columns that mix strings and numbers, and ``pd.NA``; Parquet
    and pandas can produce both. Done on the data rather than inside the pipeline so that the
    saved model needs nothing but scikit-learn to load.
    """
    import numpy as np

    changed: dict[str, Any] = {}
    for name in columns.categorical:
        column = features[name]
        if _uniform_text(column):
            continue
        missing = column.isna().to_numpy()
        values = column.astype(str).to_numpy(dtype=object)
        values[missing] = np.nan
        changed[name] = values
    if not changed:
        return features
    return features.assign(**changed)


def _uniform_text(column: pd.Series) -> bool:
    """Strings only, missing values as NaN: what the imputer and encoder take as they are."""
    import numpy as np
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.api.types.infer_dtype(dtype.categories, skipna=True) == "string"
    if isinstance(dtype, pd.StringDtype):
        return dtype.na_value is np.nan  # pandas' default "str" dtype, not "string" (pd.NA)
    return pd.api.types.infer_dtype(column, skipna=True) == "string" and not column.isna().any()
