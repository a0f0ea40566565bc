"""Renders patron's Helm charts offline (helm-python-sdk, no cluster) for the deploy checks.

`python deploy/tests/charts.py render OUT` renders every case below into OUT/<case>/, one file
per Kubernetes object (`<Kind>-<name>.yaml`; Helm's output per template in OUT/<case>/raw/),
and lints both charts strictly. Objects whose kind
kubernetes-validate has no schema for (the Prometheus Operator's) go to OUT/<case>/crds/, so the
validation step skips them by kind, visibly.
"""

from __future__ import annotations

import pathlib
import sys

import helm_python as helm
import yaml

DEPLOY = pathlib.Path(__file__).resolve().parent.parent
CHARTS = DEPLOY / "helm"
EXAMPLES = CHARTS / "examples"
RELEASE = "patron"
DATA_RELEASE = "patron-data"
NAMESPACE = "patron"

# Custom resources: no schema in kubernetes-validate; checked by the golden tests (and promtool).
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}

# Values that switch on what neither the defaults nor the production example do: credentials the
# chart turns into a Secret, the embedded scheduler, a backup config from an existing ConfigMap.
VARIANT_VALUES = {
    "image": {"digest": "sha256:" + "0123456789abcdef" * 4},
    "mediaImage": {"repository": "patron/patron-media", "digest": "sha256:" + "fedcba9876543210" * 4},
    "worker": {"useMediaImage": True},
    "secrets": {
        "databaseUrl": {"value": "postgres://patron:placeholder@postgres:5432/patron"},
        "secretKey": {"value": "placeholder-placeholder-placeholder-0"},
        "cacheUrl": {"existingSecret": "patron-cache", "key": "url"},
        "stripeSecretKey": {"value": "sk_test_placeholder"},
        "stripeWebhookSecret": {"value": "whsec_placeholder"},
    },
    "config": {
        "storageUrl": "s3://media/patron?endpoint=https://s3.example.com",
        "gpwebpayMerchantNumber": "0012345678901234567",
        "stripePublishableKey": "pk_test_placeholder",
        "stripeApiBase": "https://stripe.example.com",
        "stripeJsUrl": "https://js.stripe.example.com/v3/",
    },
    "scheduler": {"mode": "embedded"},
    "backup": {"enabled": True, "existingConfigMap": "patron-backup-config"},
    "probe": {"enabled": True, "url": "https://members.example.com"},
    "ingress": {"enabled": True, "className": "nginx", "hosts": ["members.example.com"]},
}


def load_values(path: pathlib.Path) -> dict:
    with path.open() as file:
        return yaml.safe_load(file) or {}


def cases() -> dict[str, tuple[pathlib.Path, dict, str]]:
    """Every rendered case: name -> (chart directory, values, release name)."""
    return {
        "patron-default": (CHARTS / "patron", {}, RELEASE),
        "patron-production": (CHARTS / "patron", load_values(EXAMPLES / "values-production.yaml"), RELEASE),
        "patron-variants": (CHARTS / "patron", VARIANT_VALUES, RELEASE),
        "patron-data-default": (CHARTS / "patron-data", {}, DATA_RELEASE),
        "patron-data-production": (CHARTS / "patron-data", load_values(EXAMPLES / "values-data-production.yaml"), DATA_RELEASE),
    }


def render(chart: pathlib.Path, values: dict, *, release: str = RELEASE, namespace: str = NAMESPACE) -> dict[str, str]:
    """Renders a chart like `helm template --is-install`: {template path: manifest text}."""
    return helm.Chart.load(str(chart)).render(values, name=release, namespace=namespace, is_install=True)


def objects(rendered: dict[str, str]) -> list[dict]:
    """The Kubernetes objects of a render (NOTES.txt and empty documents left out)."""
    found = []
    for path, text in sorted(rendered.items()):
        if not path.endswith((".yaml", ".yml")):
            continue
        for document in yaml.safe_load_all(text):
            if document:
                document.setdefault("metadata", {})
                found.append(document)
    return found


def write_case(out: pathlib.Path, rendered: dict[str, str]) -> list[str]:
    """Writes one file per object, and Helm's own output per template under raw/ (for yamllint);
    returns the objects put aside as custom resources."""
    out.mkdir(parents=True, exist_ok=True)
    raw = out / "raw"
    raw.mkdir(exist_ok=True)
    for path, text in rendered.items():
        if path.endswith((".yaml", ".yml")) and text.strip():
            # as `helm template` prints it
            (raw / path.replace("/", "__")).write_text(f"---\n# Source: {path}\n{text}")
    skipped = []
    for obj in objects(rendered):
        kind, name = obj["kind"], obj["metadata"]["name"]
        folder = out / "crds" if kind in CRD_KINDS else out
        folder.mkdir(exist_ok=True)
        if kind in CRD_KINDS:
            skipped.append(f"{kind}/{name}")
        text = yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=1000)
        (folder / f"{kind}-{name}.yaml").write_text("---\n" + text)
    return skipped


def lint(chart: pathlib.Path, values: dict | None = None) -> list[str]:
    """`helm lint --strict`: the errors and warnings (information messages are not failures)."""
    result = helm.lint(str(chart), values or {}, strict=True, namespace=NAMESPACE)
    problems = [f"{m.get('path')}: {m.get('error')}" for m in result.get("messages", []) if m.get("severity", 0) > 1]
    problems += [str(error) for error in result.get("errors", [])]
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] != "render":
        print(__doc__)
        return 2
    out = pathlib.Path(argv[2])
    failed = False
    for name, (chart, values, release) in cases().items():
        try:
            skipped = write_case(out / name, render(chart, values, release=release))
            print(f"  rendered {name}" + (f" (custom resources kept apart: {', '.join(skipped)})" if skipped else ""))
        except helm.HelmError as error:
            print(f"  FAILED to render {name}: {error}")
            failed = True
        problems = lint(chart, values)
        if problems:
            failed = True
            print(f"  helm lint --strict {name}:")
            for problem in problems:
                print(f"    {problem}")
        else:
            print(f"  helm lint --strict {name}: clean")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
