"""The long tables as the page counts them: each column read once, as codes and arrays.

A large tenant has hundreds of thousands of consumption lines and tens of thousands of findings,
and the page lists a few dozen of them. What it needs of the rest (totals per environment and
per capacity type, how many lines are measured or unknown, which environments have findings and
how bad the worst is) is counted here with array operations over codes, so that the page costs
about the same at any tenant size. Only the rows it lists become records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Protocol

import numpy as np
import pandas as pd

# Severities from the most severe; any other severity ranks after them.
SEVERITY_ORDER = ("error", "warning", "info")
# The rank of a severity that is none of SEVERITY_ORDER.
OTHER_SEVERITY = len(SEVERITY_ORDER)


@dataclass(frozen=True, eq=False)
class Runs:
    """A column as runs of equal values, as the lines of a pool or a capacity type come: where
    each run starts, and its value as a code of ``values`` (in order of first appearance; -1
    for a missing value), as ``pd.factorize`` codes them. Each value is compared with its
    neighbour once and only the first value of each run is hashed."""

    size: int
    starts: np.ndarray
    codes: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, column: np.ndarray) -> Runs:
        size = len(column)
        change = np.empty(size, dtype=bool)
        change[:1] = True
        try:
            np.not_equal(column[1:], column[:-1], out=change[1:])
        except TypeError:  # a value that cannot say whether it equals another (pd.NA)
            change[:] = True
        starts = np.flatnonzero(change)
        codes, values = pd.factorize(column[starts])
        return cls(size, starts, codes, np.asarray(values, dtype=object))

    def per_line(self) -> np.ndarray:
        """Each line's code, as ``pd.factorize`` of the column gives it."""
        return np.repeat(self.codes, np.diff(self.starts, append=self.size))

    def first(self) -> np.ndarray:
        """The line where each value is first found."""
        first = np.full(len(self.values), self.size, dtype=np.intp)
        found = self.codes >= 0
        np.minimum.at(first, self.codes[found], self.starts[found])
        return first

    def count(self, where: np.ndarray | None = None) -> np.ndarray:
        """Lines per value (a missing value left out); only the lines ``where`` (a mask of the
        lines) holds, if given."""
        if where is None:
            per_run = np.diff(self.starts, append=self.size)
        elif self.size:
            per_run = np.add.reduceat(where, self.starts, dtype=np.intp)
        else:
            per_run = np.zeros(0, dtype=np.intp)
        found = self.codes >= 0
        return np.bincount(
            self.codes[found], weights=per_run[found], minlength=len(self.values)
        ).astype(np.intp)

    def count_at(self, positions: np.ndarray) -> np.ndarray:
        """Lines per value among the lines at ``positions`` (a missing value left out)."""
        codes = self.codes[np.searchsorted(self.starts, positions, side="right") - 1]
        return np.bincount(codes[codes >= 0], minlength=len(self.values))


def _objects(values: list[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _equal(values: np.ndarray, word: str) -> np.ndarray:
    """Which of ``values`` are ``word`` (a missing value is not)."""
    try:
        return np.asarray(values == word, dtype=bool)
    except TypeError:  # pd.NA among them
        return pd.Series(values, dtype=object).eq(word).fillna(False).to_numpy(dtype=bool)


class FindingSource(Protocol):
    """Findings as a renderer is given them: how many, one key's values in their order, and the
    record of one (planner.report.data.FindingList, or :class:`_Records` of a list)."""

    def __len__(self) -> int: ...

    def column(self, key: str) -> list[Any]: ...

    def record(self, position: int) -> dict[str, Any]: ...


@dataclass(frozen=True, eq=False)
class _Records:
    """A list of finding records as a :class:`FindingSource`."""

    records: Sequence[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.records)

    def column(self, key: str) -> list[Any]:
        return list(map(itemgetter(key), self.records))

    def record(self, position: int) -> dict[str, Any]:
        return self.records[position]


@dataclass(frozen=True, eq=False)
class Findings:
    """The plan's findings (in their order) as columns: each finding's code (as a code of
    ``codes``) and the rank of its severity (its place in SEVERITY_ORDER, OTHER_SEVERITY for
    any other), and its subject as text. A finding's record is made when it is listed
    (:meth:`record`): a page lists a hundred of a large tenant's hundred thousand."""

    source: FindingSource
    code: np.ndarray
    codes: np.ndarray
    rank: np.ndarray
    subjects: np.ndarray

    @classmethod
    def of(cls, findings: Sequence[dict[str, Any]] | FindingSource) -> Findings:
        """From the findings' records, or their :class:`FindingSource`."""
        source = _Records(findings) if isinstance(findings, Sequence) else findings
        code = Runs.of(_objects(source.column("code")))
        severity = Runs.of(_objects(source.column("severity")))
        ranks = [
            SEVERITY_ORDER.index(s) if s in SEVERITY_ORDER else OTHER_SEVERITY
            for s in severity.values
        ]
        # The last place is the rank of a missing severity (code -1).
        rank = np.array([*ranks, OTHER_SEVERITY], dtype=np.intp)[severity.per_line()]
        subjects = _objects(source.column("subject"))
        if pd.api.types.infer_dtype(subjects, skipna=False) != "string":
            subjects = _objects([str(s) for s in subjects])
        return cls(source, code.per_line(), code.values, rank, subjects)

    def __len__(self) -> int:
        return len(self.source)

    def record(self, position: int) -> dict[str, Any]:
        """The record of the finding at ``position``."""
        return self.source.record(position)

    @property
    def code_count(self) -> int:
        """How many distinct codes the findings have."""
        return len(self.codes) + int(bool((self.code < 0).any()))

    def shown(self, rank: int, per_code: int) -> tuple[np.ndarray, dict[str, int]]:
        """The findings of one severity rank the page lists (positions, in their order): the
        first ``per_code`` of each code; and how many more each code has, by code."""
        positions = np.flatnonzero(self.rank == rank)
        codes = self.code[positions]
        # Each finding's place among those of its code: a stable sort brings a code's together.
        order = np.argsort(codes, kind="stable")
        grouped = codes[order]
        steps = np.arange(len(grouped))
        starts = np.flatnonzero(np.diff(grouped, prepend=-2) != 0)
        place = np.empty(len(grouped), dtype=np.intp)
        place[order] = steps - np.repeat(starts, np.diff(starts, append=len(grouped)))
        counts = np.bincount(codes + 1, minlength=len(self.codes) + 1)
        more = {
            self._code_name(index - 1): int(count) - per_code
            for index, count in enumerate(counts.tolist())
            if count > per_code
        }
        return positions[place < per_code], dict(sorted(more.items()))

    def _code_name(self, index: int) -> Any:
        return None if index < 0 else self.codes[index]


@dataclass(frozen=True, eq=False)
class Lines:
    """The consumption lines (``frame``) as columns: each line's environment as a code of
    ``environments`` (-1 where it has none), the runs of its capacity type (``kind``), its GB,
    which lines are measured, and the positions of the unknown ones. ``subject``: for each
    finding, the code of the environment it is about (-1 where its subject is no environment of
    the lines)."""

    frame: pd.DataFrame
    environment: np.ndarray
    environments: np.ndarray
    subject: np.ndarray
    kind: Runs
    gb: np.ndarray
    measured: np.ndarray
    unknown: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame, findings: Findings) -> Lines:
        names = frame["environment"].astype(str).to_numpy(dtype=object)
        # One hash of the environments and the findings' subjects: a subject is an environment
        # where its code is one the lines gave (they come first).
        codes, uniques = pd.factorize(np.concatenate([names, findings.subjects]))
        environment, subject = codes[: len(names)], codes[len(names) :]
        count = int(environment.max()) + 1 if len(environment) else 0
        subject = np.where(subject < count, subject, -1)
        confidence = frame["confidence"].to_numpy(dtype=object)
        measured = _equal(confidence, "measured")
        others = np.flatnonzero(~measured)
        return cls(
            frame=frame,
            environment=environment,
            environments=np.asarray(uniques[:count], dtype=object),
            subject=subject,
            kind=Runs.of(frame["capacity_type"].to_numpy(dtype=object)),
            gb=frame["gb"].to_numpy(dtype=float),
            measured=measured,
            unknown=others[_equal(confidence[others], "unknown")],
        )

    def environment_totals(self) -> np.ndarray:
        """GB per environment, by code, as ``groupby(environment, sort=False).sum()`` sums."""
        return _group_sums(self.gb, self.environment, len(self.environments))

    def kind_totals(self) -> np.ndarray:
        """GB per capacity type, by code, as ``groupby(kind).sum()`` of the lines with a
        capacity type sums."""
        kind, gb = self.kind.per_line(), self.gb
        if (self.kind.codes < 0).any():
            kind, gb = kind[kind >= 0], gb[kind >= 0]
        return _group_sums(gb, kind, len(self.kind.values))

    def unknown_by_pool(self) -> dict[str, int]:
        """How many lines of each pool are unknown (counted as 0 GB)."""
        pools = pd.Series(self.frame["pool"].to_numpy(dtype=object)[self.unknown], dtype=object)
        return {str(pool): int(count) for pool, count in pools.value_counts().items()}

    def records(self, positions: np.ndarray, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        """The lines at ``positions`` as records of ``columns``, as ``to_dict("records")`` gives
        them."""
        subset = self.frame.iloc[positions]
        values = [subset[column].tolist() for column in columns]
        return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _group_sums(values: np.ndarray, codes: np.ndarray, count: int) -> np.ndarray:
    """The sum of ``values`` per code (0 to ``count`` - 1; -1 left out), added in the order and
    the way pandas' group sums add them, so that equal totals stay equal to the last digit."""
    groups = pd.Categorical.from_codes(codes, categories=pd.RangeIndex(count), validate=False)
    return pd.Series(values).groupby(groups, observed=False).sum().to_numpy(dtype=float)
