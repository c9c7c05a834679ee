"""spikead.runs.fingerprint: the digests that decide the workflow's reruns."""

from __future__ import annotations

from spikead.runs.fingerprint import (
    code_digest,
    package_closure,
    referenced_subpackages,
    variant_suffix,
)


def test_references_cover_every_import_form():
    source = (
        "from spikead import (ad,\n    tasks as t)  # x\nfrom spikead.snn import lif\n"
        "import spikead.bench\ncmd = 'python -m spikead.online.run'\nimport os\n"
    )
    assert referenced_subpackages(source) == {"ad", "tasks", "snn", "bench", "online"}


def test_code_digest_follows_imports_between_subpackages(tmp_path):
    pkg = tmp_path / "spikead"
    for sub, text in {"a": "from spikead import b\n", "b": "X = 1\n", "c": "Y = 2\n"}.items():
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text(text)
    (pkg / "__init__.py").write_text("")
    script = tmp_path / "run.py"
    script.write_text("from spikead import a\n")
    assert package_closure(script, package_dir=pkg) == ["a", "b"]
    before = code_digest(script, package_dir=pkg)
    (pkg / "c" / "__init__.py").write_text("Y = 3\n")  # not imported: same digest
    assert code_digest(script, package_dir=pkg) == before
    (pkg / "b" / "__init__.py").write_text("X = 2\n")  # imported through a: new digest
    assert code_digest(script, package_dir=pkg) != before


def test_variant_suffix():
    assert variant_suffix({}) == variant_suffix({"train_snn": []}) == ""
    one = variant_suffix({"train_snn": ["scale.epochs=2"], "elimination_costs": []})
    assert one.startswith("@") and len(one) == 9
    assert one == variant_suffix({"train_snn": ["scale.epochs=2"]})
    assert one != variant_suffix({"train_snn": ["scale.epochs=3"]})
