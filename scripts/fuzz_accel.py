"""Time-bounded fuzzing of the C accelerator against the pure-Python path.

    .venv/bin/python scripts/fuzz_accel.py [--seconds N] [--atheris]

Without --atheris: the hypothesis properties of tests/unit/test_accel_fuzz.py, called again
and again with fresh random examples until the time is up (what scripts/sanitize-accel runs
under AddressSanitizer/UBSan). With --atheris (if the atheris package is installed; it is
not a test dependency): atheris' mutation engine feeds byte strings, split into lines, to
the same differential check. Prints the cases run; exits non-zero on the first
disagreement (and a sanitizer aborts the process on a memory error).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("FUZZ_EXAMPLES", "200")

from tests.unit import test_accel_fuzz as fuzz  # noqa: E402

SEEDS = (
    '{"_step": 0, "loss": 0.25, "acc": 1, "_runtime": 1.5, "_timestamp": 1.7e9}',
    '{"loss":1e-7,"lr":3.0000000000000004e-05}\n{"loss":2,"lr":-0.0}',
    '{"_step": 9007199254740991, "x": 123456789012345678901234567890e-30}',
    '{"a": 1}\n{"b": 2.5E+300}\n{ "a" : -0 , "b" : 0.1 }',
)
PROPERTIES = (fuzz.test_numeric_rows_agrees_with_the_python_path,
              fuzz.test_numeric_rows_on_arbitrary_text, fuzz.test_rows_json_matches_its_contract)


def run_hypothesis(seconds: float) -> int:
    examples = int(os.environ["FUZZ_EXAMPLES"])
    deadline, cases, rounds = time.monotonic() + seconds, 0, 0
    while time.monotonic() < deadline:
        for prop in PROPERTIES:
            prop()
            cases += examples
        rounds += 1
    return cases


def run_atheris(seconds: float) -> int:
    import atheris  # type: ignore[import-not-found]

    cases = 0

    def one_input(data: bytes) -> None:
        nonlocal cases
        cases += 1
        text = data.decode("utf-8", "surrogateescape")
        fuzz.check_agreement(text.split("\n"))

    corpus = Path(os.environ.get("FUZZ_CORPUS") or tempfile.mkdtemp(prefix="accel-corpus-"))
    for i, seed in enumerate(SEEDS):  # typical rows to mutate from
        (corpus / f"seed{i}").write_bytes(seed.encode())
    argv = [sys.argv[0], f"-max_total_time={int(seconds)}", "-max_len=4096", str(corpus)]
    atheris.instrument_all()  # Python-side coverage (the C side is built by gcc, untraced)
    atheris.Setup(argv, one_input)
    # libFuzzer prints the run count ("Done N runs in S second(s)") and exits the process
    try:
        atheris.Fuzz()
    except SystemExit as done:
        if done.code not in (0, None):
            raise
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--atheris", action="store_true")
    args = parser.parse_args()
    if fuzz._accel is None:
        print("fuzz_accel: wbserver.domain._accel is not built", file=sys.stderr)
        return 2
    started = time.monotonic()
    cases = run_atheris(args.seconds) if args.atheris else run_hypothesis(args.seconds)
    took = time.monotonic() - started
    print(f"fuzz_accel: {cases} cases in {took:.0f} s ({cases / took:.0f}/s), "
          f"{'atheris' if args.atheris else 'hypothesis'}, no disagreement, accelerator "
          f"{fuzz._accel.__file__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
