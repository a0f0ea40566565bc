"""The values table of a chart's README, made from its values.yaml and values.schema.json.

    python deploy/tests/values_table.py deploy/helm/patron     # prints the Markdown table

Each value is documented in values.yaml by a `## @param path meaning` comment; its type comes
from the schema and its default from values.yaml. test_charts.py checks that every value has
such a comment and that the README holds the table as this prints it.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import yaml

PARAM = re.compile(r"^\s*## @param (?P<path>\S+) (?P<meaning>.+)$")
MISSING = object()


def params(chart: pathlib.Path) -> list[tuple[str, str]]:
    lines = (chart / "values.yaml").read_text().splitlines()
    return [(m.group("path"), m.group("meaning").strip()) for m in map(PARAM.match, lines) if m]


def lookup(values: dict, path: str) -> object:
    node: object = values
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def schema_type(schema: dict, path: str) -> str:
    root = schema
    node = schema

    def resolve(n: dict) -> dict:
        while "$ref" in n:
            target = root
            for part in n["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            n = target
        return n

    for part in path.split("."):
        node = resolve(node).get("properties", {}).get(part)
        if node is None:
            return "?"
    node = resolve(node)
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    kind = node.get("type", "object")
    return "/".join(kind) if isinstance(kind, list) else kind


def leaves(values: object, prefix: str = "") -> list[str]:
    if isinstance(values, dict) and values:
        return [leaf for key, value in values.items() for leaf in leaves(value, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]


def undocumented(chart: pathlib.Path) -> list[str]:
    values = yaml.safe_load((chart / "values.yaml").read_text())
    documented = {path for path, _ in params(chart)}
    missing = []
    for leaf in leaves(values):
        parts = leaf.split(".")
        if not any(".".join(parts[:n]) in documented for n in range(1, len(parts) + 1)):
            missing.append(leaf)
    missing += [path for path in documented if lookup(values, path) is MISSING]
    return missing


def render_default(value: object) -> str:
    if value == "":
        return '`""`'
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return "`" + text.replace("|", "\\|") + "`"


def table(chart: pathlib.Path) -> str:
    values = yaml.safe_load((chart / "values.yaml").read_text())
    schema = json.loads((chart / "values.schema.json").read_text())
    rows = ["| value | type | default | meaning |", "|---|---|---|---|"]
    for path, meaning in params(chart):
        default = lookup(values, path)
        rows.append(f"| `{path}` | {schema_type(schema, path)} | {render_default(default)} | {meaning} |")
    return "\n".join(rows)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    print(table(pathlib.Path(sys.argv[1])))
