"""Every image reference must name a version: never `:latest`, never a bare name.

    python deploy/tests/image_refs.py ROOT [RENDERED_DIR]

Looks at `image:` lines (and GitLab's `image: {name: …}`), variables whose name ends in IMAGE
(how CI files name their images), Terraform `image = "…"`, `FROM` lines of every Containerfile
or Dockerfile, Helm values' `tag:` lines, and the `image` of every container in the rendered
manifests. A reference made of a variable (`$HELM_IMAGE`, `${{ … }}`) is checked where the
variable is defined. Prints each offence with its file and line; exit 1 when there is any.
"""

from __future__ import annotations

import pathlib
import re
import sys

import yaml

IMAGE_LINE = re.compile(r"^\s*-?\s*image:\s*(?P<ref>[^#\s][^#]*?)\s*(#.*)?$")
IMAGE_BLOCK = re.compile(r"^\s*-?\s*image:\s*(#.*)?$")
NAME_LINE = re.compile(r"^\s*name:\s*(?P<ref>[^#\s][^#]*?)\s*(#.*)?$")
IMAGE_VARIABLE = re.compile(r"^\s*(?:export\s+)?[A-Za-z_]*IMAGE[A-Za-z_]*\s*[:=]\s*(?P<ref>[^#\s][^#]*?)\s*(#.*)?$")
TERRAFORM_IMAGE = re.compile(r'^\s*image\s*=\s*"(?P<ref>[^"]+)"')
FROM_LINE = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(?P<ref>\S+)(?:\s+AS\s+(?P<stage>\S+))?", re.IGNORECASE)
TAG_LINE = re.compile(r"^\s*tag:\s*(?P<tag>\S+)")


def problem(reference: str) -> str | None:
    """Why a reference does not pin a version, or None when it does."""
    reference = reference.strip().strip("'\"")
    if not reference or "$" in reference or "{{" in reference:
        return None  # a variable: checked where it is defined
    if reference == "scratch":
        return None
    name, _, digest = reference.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.partition(":")[2]
    if tag == "latest":
        return "uses the tag latest"
    if not tag and not digest.startswith("sha256:"):
        return "names no tag or digest"
    return None


def text_files(root: pathlib.Path) -> list[pathlib.Path]:
    paths = []
    for base in ("deploy", ".github"):
        folder = root / base
        if folder.is_dir():
            paths += [
                p
                for p in folder.rglob("*")
                if p.is_file() and ".terraform" not in p.parts and p.suffix not in (".md", ".py", ".pyc", ".tpl", ".txt")
            ]
    for name in ("compose.yaml", "compose.yml", "docker-compose.yml", ".gitlab-ci.yml"):
        if (root / name).is_file():
            paths.append(root / name)
    return sorted(paths)


def scan_file(path: pathlib.Path) -> list[str]:
    try:
        lines = path.read_text().splitlines()
    except (UnicodeDecodeError, OSError):
        return []
    offences = []
    is_containerfile = re.match(r"(Containerfile|Dockerfile)", path.name) is not None
    stages: set[str] = set()
    for number, line in enumerate(lines, 1):
        candidates = []
        if is_containerfile:
            match = FROM_LINE.match(line)
            if match:
                ref = match.group("ref")
                if ref.lower() not in stages:
                    candidates.append(ref)
                if match.group("stage"):
                    stages.add(match.group("stage").lower())
        else:
            for pattern in (IMAGE_LINE, IMAGE_VARIABLE, TERRAFORM_IMAGE):
                match = pattern.match(line)
                if match:
                    candidates.append(match.group("ref"))
                    break
            if IMAGE_BLOCK.match(line) and number < len(lines):
                match = NAME_LINE.match(lines[number])
                if match:
                    candidates.append(match.group("ref"))
            match = TAG_LINE.match(line)
            if match and match.group("tag").strip("'\"") == "latest":
                offences.append(f"{path}:{number}: tag latest")
        for ref in candidates:
            if ref.startswith(("{", "[")):
                continue  # an inline mapping: its own lines are not references
            why = problem(ref)
            if why:
                offences.append(f"{path}:{number}: {ref.strip()} {why}")
    return offences


def scan_rendered(folder: pathlib.Path) -> list[str]:
    offences = []
    for path in sorted(folder.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if not document:
                continue
            for container in find_containers(document):
                why = problem(container.get("image", ""))
                if why or not container.get("image"):
                    offences.append(f"{path}: container {container.get('name')}: {container.get('image')!r} {why or 'has no image'}")
    return offences


def find_containers(node: object) -> list[dict]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                found += [c for c in value if isinstance(c, dict)]
            else:
                found += find_containers(value)
    elif isinstance(node, list):
        for item in node:
            found += find_containers(item)
    return found


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    root = pathlib.Path(argv[1])
    files = text_files(root)
    offences = [o for path in files for o in scan_file(path)]
    if len(argv) == 3:
        offences += scan_rendered(pathlib.Path(argv[2]))
    for offence in offences:
        print(f"  {offence}")
    print(f"  {len(files)} files scanned" + (" and the rendered manifests" if len(argv) == 3 else "") + f": {len(offences)} unpinned image references")
    return 1 if offences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
