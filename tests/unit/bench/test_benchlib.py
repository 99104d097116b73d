"""bench/benchlib.py: a benchmark whose baseline cannot run exits non-zero with one line and prints no ratio."""
import os
import subprocess
import sys

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), "bench")

SCRIPT = """
import sys
sys.path.insert(0, %r)
import benchlib

def main(argv=None):
    benchlib.require_programs("cwE-no-such-baseline-program")
    benchlib.table("never", ("", "x baseline"), [("ours", "0.50")])
    return 0

sys.exit(benchlib.run_main(main))
"""


def run_script(tmp_path, text):
    script = tmp_path / "bench_fake.py"
    script.write_text(text)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)


def test_missing_baseline_exits_non_zero_without_a_ratio(tmp_path):
    done = run_script(tmp_path, SCRIPT % BENCH)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "cwE-no-such-baseline-program" in lines[0]


def test_present_baseline_prints_the_ratio(tmp_path):
    done = run_script(tmp_path, (SCRIPT % BENCH).replace("cwE-no-such-baseline-program", "sh"))
    assert done.returncode == 0
    assert "0.50" in done.stdout


def test_missing_python_module_stops(tmp_path):
    text = (SCRIPT % BENCH).replace('benchlib.require_programs("cwE-no-such-baseline-program")',
                                    'benchlib.require_modules(sys.executable, "cwe_no_such_module")')
    done = run_script(tmp_path, text)
    assert done.returncode == 2 and done.stdout == "" and "cwe_no_such_module" in done.stderr


def test_ratio_refuses_a_baseline_that_did_not_run():
    import pytest
    sys.path.insert(0, BENCH)
    import benchlib
    assert benchlib.ratio(6.0, 3.0, "x") == 2.0
    for baseline in (None, 0, 0.0, -1):
        with pytest.raises(benchlib.BaselineMissing, match="baseline did not run: upstream"):
            benchlib.ratio(1.0, baseline, "upstream")


def test_link_share_counts_payload_bits_against_the_link():
    import pytest
    sys.path.insert(0, BENCH)
    import benchlib
    assert benchlib.link_share(125 * 1000 ** 2, 1.0, 1000 ** 3) == pytest.approx(1.0)
    assert benchlib.link_share(300 * 1000 ** 2, 4.0, 1000 ** 3) == pytest.approx(0.6)
    with pytest.raises(benchlib.BaselineMissing):
        benchlib.link_share(0, 1.0, 1000 ** 3)


def test_sync_benchmark_stops_when_upstream_processed_no_profile():
    import pytest
    sys.path.insert(0, BENCH)
    import benchlib
    import bench_sync
    ran = {"profiles_done": 30, "profiles": 30, "systems_done": 0, "systems": 0, "error": None}
    bench_sync.require_upstream_ran({"has_hivex": True, "profiles": ran, "systems": ran})
    none = dict(ran, profiles_done=0, error="ImportError: pefile")
    with pytest.raises(benchlib.BaselineMissing, match="got through 0 of 30 profiles; ImportError: pefile"):
        bench_sync.require_upstream_ran({"has_hivex": True, "profiles": none, "systems": ran})
    with pytest.raises(benchlib.BaselineMissing, match="hivex"):
        bench_sync.require_upstream_ran({"has_hivex": False, "profiles": ran, "systems": ran})
