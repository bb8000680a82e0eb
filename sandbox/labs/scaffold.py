"""`sandbox lab new`: a new lab folder from the template in scaffold_template/.

The scaffold is a complete lab (lab.yaml, README, a step, starter/, solution/, and checks.py
with one custom check kind) that loads cleanly; `sandbox lab validate` passes on it once the
instructor fills in the one TODO it names: the reference solution.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from string import Template

from sandbox.errors import ConfigError
from sandbox.labs.loader import LAB_FILE, lab_ids, labs_root

TEMPLATE = Path(__file__).parent / "scaffold_template"
SUFFIX = ".tmpl"  # the template's files are not Python or YAML of this package: no linting
LAB_ID = re.compile(r"^\d\d-[a-z0-9]+(-[a-z0-9]+)*$")  # as the Lab model requires, no `--`
TODO = "TODO(instructor)"


@dataclass(frozen=True)
class Scaffold:
    lab_id: str
    folder: Path
    files: tuple[str, ...]  # relative to the folder
    todo: str  # `path:line` of the one TODO to fill in

    def to_dict(self) -> dict[str, object]:
        return {
            "lab": self.lab_id,
            "folder": str(self.folder),
            "files": list(self.files),
            "todo": self.todo,
        }


def new_lab(lab_id: str, title: str | None = None, root: Path | None = None) -> Scaffold:
    """Write labs/<lab_id>/ from the template; refuse a bad or taken id."""
    root = root or labs_root()
    check_new_id(lab_id, root)
    folder = root / lab_id
    title = (title or "").strip() or title_of(lab_id)
    values = {"lab_id": lab_id, "title": title, "title_yaml": json.dumps(title)}
    try:
        files = [_write(source, folder, values) for source in sorted(TEMPLATE.rglob("*" + SUFFIX))]
    except OSError as err:
        shutil.rmtree(folder, ignore_errors=True)  # no half-written lab left behind
        raise ConfigError(
            f"cannot write {folder}: {err.strerror or err}",
            "check that the labs folder (SANDBOX_LABS_DIR) is writable",
        ) from None
    return Scaffold(lab_id, folder, tuple(files), find_todo(folder))


def _write(source: Path, folder: Path, values: dict[str, str]) -> str:
    name = str(source.relative_to(TEMPLATE))[: -len(SUFFIX)]
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(Template(source.read_text()).substitute(values))
    return name


def check_new_id(lab_id: str, root: Path) -> None:
    if not LAB_ID.match(lab_id):
        raise ConfigError(
            f"{lab_id!r} is not a lab id",
            "use two digits, a dash and a lowercase slug, like 04-message-queues "
            f"(labs so far: {', '.join(lab_ids(root)) or 'none'})",
        )
    folder = root / lab_id
    if folder.exists():
        what = "a lab" if (folder / LAB_FILE).is_file() else "a folder"
        raise ConfigError(
            f"{folder} already exists ({what})",
            f"pick another id, or remove {folder} first; `sandbox lab validate {lab_id}` "
            "checks an existing lab",
        )


def title_of(lab_id: str) -> str:
    """04-message-queues -> Message queues."""
    words = lab_id.split("-", 1)[1].replace("-", " ")
    return words[:1].upper() + words[1:]


def find_todo(folder: Path) -> str:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if TODO in line:
                    return f"{path.relative_to(folder)}:{number}"
    return ""
