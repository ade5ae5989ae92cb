"""Every file the packages need at run time is in the wheel: an installed centre (not an
editable checkout) once lacked the site's feed templates (`*.xml` was in no pattern)."""

from __future__ import annotations

import fnmatch
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crisis", "channels", "knowledge_base", "static_site", "monitoring")


def test_every_data_file_of_the_packages_matches_a_package_data_pattern() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["*"]
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", *PACKAGES],
                             capture_output=True, text=True, check=True).stdout.split()
    left_out = [path for path in tracked if not path.endswith(".py")
                and not any(fnmatch.fnmatch(Path(path).name, p) for p in patterns)]
    assert left_out == [], f"add a pattern to [tool.setuptools.package-data]: {left_out}"
