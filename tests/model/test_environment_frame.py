"""environment_frame: columns filled and typed; text a caller vouches for taken as it is."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.model import inputs
from planner.model.inputs import ENVIRONMENT_COLUMNS, environment_frame


def given(location: list[object]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": pd.Series(["A", "B"], dtype=object),
            "type": pd.Series(["sandbox", "production"], dtype=object),
            "location": pd.Series(location, dtype=object),
        }
    )


def test_gaps_in_text_become_blank() -> None:
    frame = environment_frame(given(["row 2", None]))
    assert frame["location"].tolist() == ["row 2", ""]
    assert list(frame.columns) == list(ENVIRONMENT_COLUMNS)


def test_text_vouched_for_is_taken_as_it_is() -> None:
    location = pd.Series(["row 2", "row 3"], dtype=object)
    frame = environment_frame(given(location.tolist()), all_text=["location"])
    assert frame["location"].tolist() == ["row 2", "row 3"]
    assert frame["location"].dtype == object
    assert frame["power_platform"].tolist() == ["", ""]  # not vouched for: filled as ever


def test_vouching_does_not_skip_the_change_of_dtype() -> None:
    frame = given(["row 2", "row 3"]).assign(org_url=pd.Series([np.nan, np.nan]))
    result = environment_frame(frame, all_text=["org_url"])
    assert result["org_url"].tolist() == ["", ""]  # float gaps are still turned into text


def test_the_empty_tables_are_what_the_builders_make_of_no_rows() -> None:
    """Built straight from their dtypes: the frames the builders make, dtypes and index
    included, and a copy each time (a caller may add rows to its own)."""
    pd.testing.assert_frame_equal(inputs.empty_licenses(), inputs.license_frame([]))
    pd.testing.assert_frame_equal(inputs.empty_environments(), inputs.environment_frame([]))
    assert inputs.empty_environments() is not inputs.empty_environments()
