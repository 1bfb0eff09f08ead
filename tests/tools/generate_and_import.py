"""Generate a document's client into a temporary folder and import every operation and model of it.

CI runs this on the previous XAPI document (20.0.9) to show the generator copes with documents it was not
written against. Usage: ``python -m tests.tools.generate_and_import SPEC``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from generator.output import PACKAGE
from generator.pipeline import generate

IMPORT_ALL = """
import importlib, json, sys
import {package} as package
assert package.__file__.startswith(sys.argv[1]), package.__file__
registry = json.loads(open(sys.argv[1] + "/{package}/registry.json").read())
from threecx_xapi import XAPI
pbx = XAPI("https://pbx.example.com", token="t")
for op in registry["operations"]:
    module = importlib.import_module(op["module"])
    assert callable(module.build) and callable(module.parse), op["module"]
    assert callable(getattr(getattr(pbx, op["resource"]), op["function"])), op["operation_id"]
pbx.close()
models = importlib.import_module("{package}.models")
for name in models.__all__:
    getattr(models, name)
print(len(registry["operations"]), len(models.__all__))
"""


def main(spec: str) -> int:
    with tempfile.TemporaryDirectory(prefix="threecx-previous-") as scratch:
        result = generate(spec, Path(scratch), write_lock=False, log=lambda _line: None)
        summary = next(line for line in result.lines if line.startswith("operations:"))
        env = {**os.environ, "PYTHONPATH": scratch}
        code = IMPORT_ALL.format(package=PACKAGE)
        out = subprocess.run([sys.executable, "-c", code, scratch], env=env, capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stdout, out.stderr, file=sys.stderr)
            return 1
        operations, models = out.stdout.split()
        print(f"{spec}: {summary}; imported {operations} operations and {models} models")
        registry = json.loads((Path(scratch) / PACKAGE / "registry.json").read_text("utf-8"))
        return 0 if len(registry["operations"]) == int(operations) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
