"""A finding's subject is shown whole: only an input file's path loses its folders."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from planner.cli.main import cli
from planner.report.words import Names, subject_words

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _names(files: tuple[str, ...] = ()) -> Names:
    return Names(
        pool_titles={"database": "Database"}, products={}, family_titles={}, files=frozenset(files)
    )


def test_an_environment_name_with_a_slash_stays_whole() -> None:
    assert subject_words("attacker/CONTOSO-PROD", _names()) == "attacker/CONTOSO-PROD"
    assert subject_words("a\\b", _names()) == "a\\b"


def test_an_input_file_loses_its_folders_and_a_pool_gets_its_title() -> None:
    names = _names(("exports/2026/licenses.csv",))
    assert subject_words("exports/2026/licenses.csv", names) == "licenses.csv"
    assert subject_words("database", names) == "Database"


def test_a_sandbox_named_like_a_path_is_not_shown_as_another(tmp_path: Path) -> None:
    rows = (SAMPLES / "environments-inventory.csv").read_text(encoding="utf-8").splitlines()
    header, first = rows[0], rows[1]
    columns = header.split(",")
    cells = first.split(",")
    cells[columns.index("name")] = "attacker-sandbox/" + cells[columns.index("name")]
    cells[columns.index("type")] = "addon_sandbox"
    cells[columns.index("tier")] = "2"
    inventory = tmp_path / "environments.csv"
    inventory.write_text("\n".join([header, ",".join(cells), *rows[2:]]) + "\n", encoding="utf-8")
    licenses = str(SAMPLES / "licenses-graph.json")
    for output in ("table", "markdown"):
        result = CliRunner().invoke(
            cli,
            ["forecast", licenses, str(inventory), "--as-of", "2026-12", "--format", output],
        )
        assert result.exit_code in (0, 1), result.output
        findings = [line for line in result.output.splitlines() if "ADDON_SANDBOX_NO" in line]
        about = [line for line in findings if "is an add-on sandbox and is linked" in line]
        assert len(about) >= 2, result.output
        subjects = [line.split(" is an add-on sandbox")[0] for line in about]
        assert sum(s.endswith("attacker-sandbox/CONTOSO-PROD") for s in subjects) == 1, subjects
        assert not any(s.endswith(("[CONTOSO-PROD]", " CONTOSO-PROD")) for s in subjects)
