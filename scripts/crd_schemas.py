"""Turn CustomResourceDefinition files into the JSON Schemas a render carries to validate its
Kubernetes objects offline (`python -m stack chart`).

    python scripts/crd_schemas.py OUTPUT_DIR CRD.yaml...

Each CRD's served storage version becomes `<Kind>.json`: its openAPIV3Schema without
descriptions, with unknown fields rejected wherever Kubernetes prunes them (objects with
`properties` and no `x-kubernetes-preserve-unknown-fields`), and Kubernetes' extensions written
as JSON Schema (`x-kubernetes-int-or-string`, `nullable`). The CRD files come from each project's
release (the provenance is kept in each schema's `$comment`).
"""

import json
import sys
from pathlib import Path
from typing import Any

import yaml

DROPPED = {"description", "format", "example", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
           "x-kubernetes-map-type", "x-kubernetes-validations", "x-kubernetes-embedded-resource"}  # fmt: skip


def json_schema(node: object) -> object:
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    schema: dict[str, Any] = {
        key: json_schema(value) for key, value in node.items() if key not in DROPPED
    }
    # Property names are data, not keywords: keep them all.
    if "properties" in node:
        schema["properties"] = {name: json_schema(sub) for name, sub in node["properties"].items()}
    if schema.pop("x-kubernetes-int-or-string", False):
        schema.pop("type", None)
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    preserve = schema.pop("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in schema and "additionalProperties" not in schema and not preserve:
        schema["additionalProperties"] = False
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and "(?i)" in pattern[1:]:
        # Go's regexp takes flags anywhere; Python's only at the start.
        schema["pattern"] = "(?i)" + pattern.replace("(?i)", "")
    if schema.pop("nullable", False) and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    return schema


def main(output: Path, crds: list[Path]) -> None:
    output.mkdir(parents=True, exist_ok=True)
    for path in crds:
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        version = next(v for v in crd["spec"]["versions"] if v.get("storage"))
        schema = json_schema(version["schema"]["openAPIV3Schema"])
        if not isinstance(schema, dict):
            raise SystemExit(f"{path}: its openAPIV3Schema is not an object")
        # apiVersion, kind and metadata are checked by the API server, not by the CRD's schema.
        schema["properties"]["metadata"] = {"type": "object"}
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        document = {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$comment": f"{kind} ({group}/{version['name']}) from {path.name}: scripts/crd_schemas.py",
            **schema,
        }
        (output / f"{kind}.json").write_text(
            json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]), [Path(arg) for arg in sys.argv[2:]])
