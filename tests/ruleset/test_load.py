"""Rule sets: the bundled files load, selection by month, and errors that name line and entry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from planner.errors import InputError, RulesError
from planner.model.months import parse_month
from planner.model.units import format_gb, mb_to_gb, parse_amount
from planner.resources import bundled_dir
from planner.ruleset import bundled_rulesets, load_ruleset_text, resolve_ruleset

POOLED_TEXT = (bundled_dir("rules") / "pooled-2025-12.toml").read_text(encoding="utf-8")


def test_bundled_rule_sets_and_their_contract() -> None:
    by_id = {r.id: r for r in bundled_rulesets()}
    assert set(by_id) == {"split-2023", "pooled-2025-12"}
    assert by_id["split-2023"].pool_names == (
        "dataverse_database",
        "dataverse_file",
        "dataverse_log",
        "operations_database",
        "operations_file",
    )
    assert by_id["split-2023"].defaults_combine == "sum"
    assert by_id["pooled-2025-12"].pool_names == ("database", "file", "log")
    assert by_id["pooled-2025-12"].defaults_combine == "max"
    for ruleset in by_id.values():
        for amount in ruleset.all_amounts():
            assert amount.confidence in ("documented", "secondary", "assumed")
            # A documented amount names the page it was read on.
            assert amount.source.url or amount.confidence != "documented", amount.rule


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2023-06", "split-2023"),
        ("2025-11", "split-2023"),
        ("2025-12", "pooled-2025-12"),
        ("2027-01", "pooled-2025-12"),
    ],
)
def test_newest_rule_set_effective_at_the_month(as_of, expected) -> None:
    assert resolve_ruleset(None, as_of).id == expected


def test_no_rule_set_before_the_oldest() -> None:
    with pytest.raises(InputError, match="no bundled rule set is effective at 2020-01"):
        resolve_ruleset(None, "2020-01")


def test_rules_by_path_and_unknown_id(tmp_path) -> None:
    own = tmp_path / "mine.toml"
    own.write_text(POOLED_TEXT.replace('id = "pooled-2025-12"', 'id = "mine"'), encoding="utf-8")
    assert resolve_ruleset(str(own), "2026-01").id == "mine"
    with pytest.raises(InputError, match="neither a bundled rule set nor a file"):
        resolve_ruleset("nonsense", "2026-01")


@pytest.mark.parametrize(
    ("old", "new", "fragments"),
    [
        ('role = "activity"', 'role = "boss"', ["role 'boss'", "licenses[9].role"]),
        (
            'per_license = { database = "5 GB", file = "5 GB" }\nsource = "d365-guide-2026"',
            'per_license = { database = "5 parsecs", file = "5 GB" }\nsource = "d365-guide-2026"',
            ["unit 'parsecs'", "per_license.database"],
        ),
        ('defaults_combine = "max"', 'defaults_combine = "most"', ["'most'", "max or sum"]),
        (
            'lender = "database"\nborrower = "log"',
            'lender = "database"\nborrower = "logs"',
            ["'logs' is not a pool"],
        ),
        (
            'confidence = "secondary"\nminimum_base_licenses = 20',
            'confidence = "rumoured"\nminimum_base_licenses = 20',
            ["confidence is 'rumoured'"],
        ),
        ("[thresholds]", '[thresholds]\ncolour = "red"', ["unknown key 'colour'"]),
        (
            'source = "pp-summary-2025-12"\nconfidence = "secondary"',
            'source = "pp-summary-2025-12"\nconfidence = "documented"',
            ["a documented amount cites source 'pp-summary-2025-12', which has no URL"],
        ),
        (
            '[[licenses]]\nsku = "DYN365_FINANCE"\n',
            '[catalogue]\nrelevant_patterns = []\n\n[[licenses]]\nsku = "DYN365_FINANCE"\n',
            ["no longer used"],
        ),
        ('id = "pooled-2025-12"', 'id = "pooled-2025-12"\nid = "again"', ["not valid TOML"]),
        # The key of a table of tables (a source, an environment type) is named, not guessed.
        (
            'title = "Enable Power Platform integration (finance and operations)"',
            "title = 2026",
            ["sources.ppi.title: 'title' is a number 2026", "expected: text"],
        ),
        (
            'power_platform_sku = "Production"\ndefault_power_platform = "initial"\n'
            "lcs_managed = true",
            'power_platform_sku = "Production"\ndefault_power_platform = "initial"\n'
            'lcs_managed = "yes"',
            [
                "environment_types.production.lcs_managed: 'lcs_managed' is text 'yes'",
                "true or false",
            ],
        ),
        (
            "[sources.ppi]\n",
            "[sources.ppi]\npages = 3\n",
            ["sources.ppi.pages: unknown key 'pages'"],
        ),
        (
            'lender = "database"\nborrower = "log"',
            'borrower = "log"',
            ["borrowing[1]: 'lender' is missing", "'lender' as text"],
        ),
    ],
)
def test_broken_rules_name_file_line_and_entry(old, new, fragments) -> None:
    assert old in POOLED_TEXT, old
    with pytest.raises(RulesError) as caught:
        load_ruleset_text(POOLED_TEXT.replace(old, new, 1), "broken.toml")
    message = caught.value.render()
    assert message.startswith("broken.toml")
    for fragment in fragments:
        assert fragment in message


def test_error_line_points_at_the_entry() -> None:
    text = POOLED_TEXT.replace('role = "activity"', 'role = "boss"')
    with pytest.raises(RulesError) as caught:
        load_ruleset_text(text, "broken.toml")
    line = int(caught.value.location.split(",")[0].removeprefix("line "))
    assert 'role = "boss"' in text.splitlines()[line - 1]


def test_units() -> None:
    assert parse_amount("250 MB") == pytest.approx(250 / 1024)
    assert parse_amount("10 GB") == 10
    assert parse_amount("1 TB") == 1024
    assert mb_to_gb(3072) == 3
    assert format_gb(1234.5) == "1,234.50 GB"
    assert format_gb(None) == "unknown"
    for bad in ("10", "ten GB", "10 GiB", "-5 GB", ""):
        with pytest.raises(ValueError):
            parse_amount(bad)


def test_rules_folder_holds_only_rule_files_and_the_sku_catalog() -> None:
    folder = Path(bundled_dir("rules"))
    assert sorted(p.name for p in folder.iterdir()) == [
        "catalog",
        "compiled.msgpack",
        "pooled-2025-12.toml",
        "split-2023.toml",
    ]
    assert sorted(p.name for p in (folder / "catalog").iterdir()) == ["skus.csv"]


def test_a_bundled_rule_sets_head_is_what_the_file_holds() -> None:
    """A run chooses the bundled rule set by each file's top-level keys; they are the id and
    effective month the whole file loads to."""
    from planner.ruleset import load as rules_load

    heads = rules_load._bundled_heads()
    assert len(heads) >= 2
    for head in heads:
        whole = rules_load.load_ruleset_file(head.path)
        assert (whole.id, parse_month(whole.effective_from)) == (head.id, head.month)


@pytest.mark.parametrize("as_of", ["2023-01", "2025-11", "2025-12", "2026-12", "2030-06"])
def test_choosing_a_bundled_rule_set_loads_only_that_one(
    monkeypatch: pytest.MonkeyPatch, as_of: str
) -> None:
    from planner.ruleset import load as rules_load

    loaded: list[str] = []
    original, decoded = rules_load.load_ruleset_file, rules_load.compiled_part

    def counting(path: Any) -> Any:
        loaded.append(Path(path).name)
        return original(path)

    def counting_compiled(path: Path) -> Any:
        part = decoded(path)
        if part is not None:
            loaded.append(path.name)
        return part

    # Parsed from its file or decoded from the compiled file (see planner/ruleset/compiled.py).
    monkeypatch.setattr(rules_load, "load_ruleset_file", counting)
    monkeypatch.setattr(rules_load, "compiled_part", counting_compiled)
    rules_load._bundled_ruleset.cache_clear()
    try:
        chosen = resolve_ruleset(None, as_of)
        assert len(loaded) == 1  # the other bundled file is not read
        newest_effective = [
            r for r in bundled_rulesets() if parse_month(r.effective_from) <= parse_month(as_of)
        ][-1]
    finally:
        rules_load._bundled_ruleset.cache_clear()
    assert chosen.id == newest_effective.id
    assert loaded[0] == next(h.path.name for h in rules_load._bundled_heads() if h.id == chosen.id)
