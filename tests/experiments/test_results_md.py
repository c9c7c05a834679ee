"""The smoke workflow ends with RESULTS.md, generated from its own runs."""

import json

import pytest
from conftest import SMOKE_GROUP


@pytest.mark.slow
@pytest.mark.xdist_group(SMOKE_GROUP)
def test_smoke_run_writes_results_md(smoke_workflow):
    text = (smoke_workflow.figures / "RESULTS.md").read_text()
    assert text.startswith("# Results: `smoke` profile")
    assert "## Headline" in text and "## Workflow time" in text
    costs = json.loads((smoke_workflow.results / "elimination_costs" / "metrics.json").read_text())
    assert costs["meta"]["started"].endswith("Z") and costs["meta"]["commit"]
    assert f"commit {costs['meta']['commit']}" in text  # each section names its run's commit
    assert "not run for this profile" not in text  # the smoke workflow runs every experiment
