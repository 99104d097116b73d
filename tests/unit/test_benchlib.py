"""bench/benchlib.py: a benchmark whose baseline cannot run exits non-zero with one line and prints no ratio."""
import os
import subprocess
import sys

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bench")

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
