"""``tutti-train`` without prepared data: one line saying what to run, and nothing overwritten."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from oracle.training.cli import main
from oracle.training.config import CHECKPOINTS


@pytest.mark.parametrize("command", [["train", "composer", "--steps", "1"], ["train", "improviser-rhythm"],
                                     ["evaluate"]])
def test_missing_prepared_data_is_a_clear_error_that_keeps_the_last_evaluation(tmp_path, command):
    evaluation = (CHECKPOINTS / "evaluation.json").read_bytes()
    report = tmp_path / "models.md"
    extra = ["--report", str(report)] if command == ["evaluate"] else ["--output", str(tmp_path / "bundles")]
    result = CliRunner().invoke(main, [*command, "--data", str(tmp_path / "nothing"), *extra])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "no prepared pieces in" in result.output and "tutti-train prepare" in result.output
    assert (CHECKPOINTS / "evaluation.json").read_bytes() == evaluation
    assert not report.exists()
