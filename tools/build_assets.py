"""The generated parts of the package: compiled message catalogs and the front-end files.

Neither is committed. Building the wheel (setup.py's build_py) compiles the `.po` catalogs with
Babel, so no system gettext is needed, and fetches the npm packages from package-lock.json into a
temporary folder, copying only the files the pages use into vafa/web/static/vendor/. `make
install` fills the same folder from the checkout's node_modules:

    python tools/build_assets.py vendor node_modules vafa/web/static/vendor

Standard library only (Babel is imported where catalogs are compiled), so setup.py and the
Makefile can run it before anything is installed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What the templates reference (vafa/web/templates: `{% static 'vendor/...' %}`), what those files
# load in turn (the font the CSS names) and the licences that must travel with them:
# (npm package, file in the package, path under static/vendor/).
VENDOR_FILES = [
    ("htmx.org", "dist/htmx.min.js", "htmx/htmx.min.js"),
    ("htmx.org", "LICENSE", "htmx/LICENSE"),
    ("chart.js", "dist/chart.umd.min.js", "chartjs/chart.umd.min.js"),
    ("chart.js", "LICENSE.md", "chartjs/LICENSE.md"),
    ("vazirmatn", "Vazirmatn-Variable-font-face.css", "vazirmatn/Vazirmatn-Variable-font-face.css"),
    ("vazirmatn", "fonts/webfonts/Vazirmatn[wght].woff2", "vazirmatn/fonts/webfonts/Vazirmatn[wght].woff2"),
    ("vazirmatn", "OFL.txt", "vazirmatn/OFL.txt"),
]


class AssetError(Exception):
    """A build step that cannot go on; the message says what to do."""


def copy_vendor(node_modules: Path, dest: Path) -> list[Path]:
    """Replace `dest` with exactly VENDOR_FILES taken from `node_modules`; answers the files written."""
    missing = [f"{package}/{source}" for package, source, _ in VENDOR_FILES
               if not (node_modules / package / source).is_file()]
    if missing:
        raise AssetError(f"missing in {node_modules}: {', '.join(missing)} (run `npm ci` first)")
    # Emptied first, so a file dropped from the list does not linger in the package.
    shutil.rmtree(dest, ignore_errors=True)
    written = []
    for package, source, target in VENDOR_FILES:
        path = dest / target
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(node_modules / package / source, path)
        written.append(path)
    return written


def fetch_vendor(project: Path, dest: Path) -> list[Path]:
    """`npm ci` the locked packages into a temporary folder (the project's own node_modules is left
    alone) and copy the files the pages use into `dest`."""
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError("building Vafa needs npm (Node.js) to fetch htmx, Chart.js and the Vazirmatn font "
                         "from the npm registry: install it (Debian: apt-get install npm) and build again")
    with tempfile.TemporaryDirectory(prefix="vafa-npm-") as work:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(project / name, Path(work) / name)
        # --omit=dev: axe-core is for the browser tests only; --ignore-scripts: nothing of theirs runs.
        result = subprocess.run([npm, "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund",
                                 "--loglevel=error"], cwd=work, capture_output=True, text=True)
        if result.returncode != 0:
            raise AssetError(f"`npm ci` failed (exit {result.returncode}): {result.stderr.strip()}")
        return copy_vendor(Path(work) / "node_modules", dest)


def compile_catalogs(locale: Path, dest: Path) -> list[Path]:
    """Compile every `<lang>/LC_MESSAGES/*.po` under `locale` into the same place under `dest`.
    Fuzzy entries are left out, as msgfmt does (the catalog test keeps there being none)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parts[-3], ignore_obsolete=True, abort_invalid=True)
        mo = dest / po.relative_to(locale).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo)
    if not written:
        raise AssetError(f"no message catalogs under {locale}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    vendor = commands.add_parser("vendor", help="copy the front-end files from an npm folder")
    vendor.add_argument("node_modules", type=Path)
    vendor.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    try:
        copy_vendor(args.node_modules, args.dest)
    except AssetError as exc:
        print(f"build_assets: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
