"""Tests for generator.yaml12: PyYAML's speed with YAML 1.2 core-schema scalars, and still safe."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from generator.yaml12 import load_yaml

SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "spec"


def scalar(text: str) -> object:
    return load_yaml(f"value: {text}\n")["value"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # YAML 1.1 booleans are plain strings in 1.2 (3CX enum values such as `No`)
        ("No", "No"),
        ("no", "no"),
        ("yes", "yes"),
        ("Yes", "Yes"),
        ("on", "on"),
        ("Off", "Off"),
        ("y", "y"),
        # the 1.2 booleans, in the three spellings the core schema allows
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("tRUE", "tRUE"),
        # sexagesimal numbers and .NET TimeSpans stay strings
        ("1:20", "1:20"),
        ("0:00:0", "0:00:0"),
        ("190:20:30.15", "190:20:30.15"),
        # integers: 1.2 octal and hex; a leading zero is decimal, not octal
        ("0o17", 15),
        ("0x1F", 31),
        ("012", 12),
        ("-7", -7),
        ("+12", 12),
        ("0b101", "0b101"),
        ("1_000", "1_000"),
        ("0o8", "0o8"),
        # floats
        ("1.5", 1.5),
        ("-2.5e3", -2500.0),
        ("1e3", 1000.0),
        (".5", 0.5),
        (".inf", math.inf),
        ("-.inf", -math.inf),
        (".Inf", math.inf),
        # nulls
        ("~", None),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("", None),
        ("''", ""),
        # no dates or timestamps
        ("2024-01-01", "2024-01-01"),
        ("2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z"),
        ("0001-01-01T00:00:00.0000000+00:00", "0001-01-01T00:00:00.0000000+00:00"),
        # quoting always wins
        ("'true'", "true"),
        ('"12"', "12"),
        ("=", "="),
    ],
)
def test_scalars_resolve_by_yaml_12_core_schema(text: str, expected: object) -> None:
    value = scalar(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("text", [".nan", ".NaN", ".NAN"])
def test_nan(text: str) -> None:
    value = scalar(text)
    assert isinstance(value, float)
    assert math.isnan(value)


def test_keys_resolve_too() -> None:
    assert load_yaml("No: 1\n'200': ok\n201: created\ntrue: t\n") == {"No": 1, "200": "ok", 201: "created", True: "t"}


def test_json_is_yaml() -> None:
    assert load_yaml(b'{"openapi": "3.0.4", "n": [1, 2.5, null, true]}') == {
        "openapi": "3.0.4",
        "n": [1, 2.5, None, True],
    }


def test_pyyaml_safe_loader_is_not_changed() -> None:
    """The 1.2 resolvers live on our own loader class; yaml.safe_load keeps the 1.1 rules for everyone else."""
    load_yaml("a: No\n")
    assert yaml.safe_load("a: No\nb: 1:20\n") == {"a": False, "b": 80}


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['echo pwned']",
        "!!python/name:os.system",
        "!!python/object:collections.OrderedDict {}",
        "!!python/tuple [1, 2]",
    ],
)
def test_python_tags_are_refused(text: str) -> None:
    with pytest.raises(yaml.constructor.ConstructorError):
        load_yaml(f"value: {text}\n")


@pytest.mark.slow
def test_matches_ruamel_yaml_12_on_real_document() -> None:
    """ruamel.yaml's safe loader implements YAML 1.2; on the 20.0.10 document ours must give the same data."""
    from ruamel.yaml import YAML

    spec = SPEC_DIR / "xapi-20.0.10.yaml"
    if not spec.is_file():
        pytest.skip(f"{spec} not found")
    raw = spec.read_bytes()
    ours = load_yaml(raw)
    assert ours == YAML(typ="safe").load(raw)
    # and the comparison is not vacuous: YAML 1.1 (plain PyYAML) reads this document differently
    assert yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) != ours
