# The slow tests belong to the smoke profile: `pytest -m slow` (every task, seed and variant
# of the engine checks, and tests/experiments' checks of a smoke workflow of their own, run
# from an empty folder). The README's test command, which CI runs, selects the others.
# Off with --config slow_tests=false (the tests' own smoke workflow sets it: no recursion).
if PROFILE == "smoke" and str(config["slow_tests"]).lower() == "true":
    TEST_FILES = sorted(glob.glob("tests/**/*.py", recursive=True))

    rule slow_tests:
        input:
            TEST_FILES,
        output:
            f"{RESULTS}/slow_tests/junit.xml",
        log:
            f"{RESULTS}/logs/slow_tests.log",
        params:
            code=_code_digest(*TEST_FILES),  # the package code the tests import
        threads: CORES
        resources:
            cpu_heavy=ALONE,
        shell:
            # the report is written last, and only when every test passed
            f"{PY} -m pytest -m slow -n {{threads}} --dist loadgroup -p no:cacheprovider "
            "--junitxml={output}.partial tests > {log} 2>&1 && mv {output}.partial {output}"
