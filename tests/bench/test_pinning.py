"""Core choice for pinned subprocesses: the least loaded allowed cores, loads injected."""

import pytest

from spikead.bench import PinningError, _pinning, allowed_cores, choose_cores, core_loads


def test_without_loads_the_last_allowed_cores():
    assert choose_cores([0, 1, 2, 3], 1) == [3]
    assert choose_cores([5, 2, 7], 2) == [5, 7]
    assert choose_cores([0, 1], 2) == [0, 1]


def test_least_loaded_cores_win():
    loads = {0: 0.1, 1: 0.95, 2: 0.6, 3: 0.3}
    assert choose_cores(loads, 1, loads) == [0]
    assert choose_cores(loads, 2, loads) == [0, 3]
    assert choose_cores(loads, 3, loads) == [0, 2, 3]


def test_near_equal_loads_tie_to_the_higher_core():
    # 0.02 apart is below the resolution: the same choice as without loads
    assert choose_cores([0, 1], 1, {0: 0.01, 1: 0.03}) == [1]
    assert choose_cores([0, 1, 2], 2, {0: 0.0, 1: 0.0, 2: 0.0}) == [1, 2]
    # a clearly busier last core is avoided
    assert choose_cores([0, 1], 1, {0: 0.05, 1: 0.9}) == [0]


@pytest.mark.parametrize("cpus", [0, 3])
def test_core_count_out_of_range(cpus):
    with pytest.raises(PinningError, match=f"cpus={cpus} must be between 1 and the 2"):
        choose_cores([0, 1], cpus)


def test_loads_must_cover_the_allowed_cores():
    with pytest.raises(PinningError, match=r"core\(s\) \[1\]"):
        choose_cores([0, 1], 1, {0: 0.5})


def _stat(lines):
    return "cpu  1 1 1 1 1 1 1 1 0 0\n" + "".join(lines) + "intr 12 3\nctxt 99\n"


def test_core_loads_from_two_reads(tmp_path, monkeypatch):
    path = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal guest guest_nice
    path.write_text(_stat(["cpu0 100 0 0 900 0 0 0 0 0 0\n", "cpu1 100 0 0 900 0 0 0 0 0 0\n"]))
    later = _stat(["cpu0 190 0 10 900 0 0 0 0 0 0\n", "cpu1 110 0 0 980 10 0 0 0 0 0\n"])
    monkeypatch.setattr(_pinning.time, "sleep", lambda s: path.write_text(later))
    loads = core_loads([0, 1], path=path)
    assert loads == pytest.approx({0: 1.0, 1: 0.1})  # iowait counts as idle
    assert core_loads([0, 2], path=path) is None  # a core /proc/stat does not list


def test_core_loads_unreadable_is_none(tmp_path):
    assert core_loads([0], interval_s=0.0, path=tmp_path / "absent") is None


def test_core_loads_reads_this_machine():
    cores = allowed_cores()
    loads = core_loads(cores, interval_s=0.05)
    if loads is not None:  # Linux
        assert set(loads) == set(cores) and all(0.0 <= v <= 1.0 for v in loads.values())


def test_taskset_prefix_uses_the_injected_loads(monkeypatch):
    monkeypatch.setattr(_pinning, "allowed_cores", lambda: [0, 1, 2, 3])
    monkeypatch.setattr(_pinning.shutil, "which", lambda name: "/usr/bin/" + name)
    seen = []

    def loads(cores):
        seen.append(cores)
        return {0: 0.9, 1: 0.2, 2: 0.8, 3: 0.7}

    assert _pinning.taskset_prefix(None, loads=loads) == []
    assert _pinning.taskset_prefix(1, loads=loads) == ["taskset", "-c", "1"]
    assert _pinning.taskset_prefix(2, loads=loads) == ["taskset", "-c", "1,3"]
    assert seen == [[0, 1, 2, 3], [0, 1, 2, 3]]
    assert _pinning.taskset_prefix(4, loads=loads) == ["taskset", "-c", "0,1,2,3"]
    assert len(seen) == 2  # every core taken: nothing to measure
    assert _pinning.taskset_prefix(1, loads=lambda cores: None) == ["taskset", "-c", "3"]
    with pytest.raises(PinningError, match="cpus=5"):
        _pinning.taskset_prefix(5, loads=loads)


def test_taskset_prefix_without_taskset(monkeypatch):
    monkeypatch.setattr(_pinning.shutil, "which", lambda name: None)
    with pytest.raises(PinningError, match="taskset"):
        _pinning.taskset_prefix(1, loads=lambda cores: None)


def test_comparisons_check_the_core_count_before_work(tmp_path):
    from spikead.bench import ComparisonSettings, compare_frameworks, compare_paired

    too_many = ComparisonSettings(batch=2, steps=4, cpus=len(allowed_cores()) + 1)
    with pytest.raises(PinningError, match=f"cpus={too_many.cpus}"):
        compare_frameworks(["jax_scan"], [8], too_many, workdir=tmp_path / "a")
    with pytest.raises(PinningError, match=f"cpus={too_many.cpus}"):
        compare_paired([8], too_many, workdir=tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
