"""The serving copy: the marts published for BI tools and the report, swapped in whole."""

from orchestration.serving.personal import personal_columns
from orchestration.serving.publishing import (
    MartCopy,
    Publication,
    drop_earlier_versions,
    open_serving,
    publish,
    read_publication,
)

__all__ = [
    "MartCopy",
    "Publication",
    "drop_earlier_versions",
    "open_serving",
    "personal_columns",
    "publish",
    "read_publication",
]
