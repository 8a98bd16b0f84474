"""The few lines every CLI test script shares: named checks that print ok/FAILED and a summary exit status."""
import sys

results = []


def check(name, condition, detail=""):
    results.append(bool(condition))
    print(("ok     " if condition else "FAILED ") + name + ("" if condition else f"  -- {str(detail)[-2000:]}"), flush=True)


def finish():
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)
