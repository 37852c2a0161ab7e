"""Write the role variable tables of README.md and of each role's README from meta/argument_specs.yml.

    python docs/gen_role_variables.py          # rewrite the READMEs
    python docs/gen_role_variables.py --check  # exit 1 if one is out of date

The argument specs are the single source of truth; the READMEs carry a generated copy between
the `role-variables` markers: README.md every role's table, roles/<role>/README.md its own.
"""

import argparse
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BEGIN, END = "<!-- BEGIN role-variables -->", "<!-- END role-variables -->"
ROLES = ("mysql", "minio", "server", "caddy", "metrics")


def _type(opt):
    kind = opt.get("type", "str")
    if kind == "list" and opt.get("elements"):
        kind = f"list of {opt['elements']}"
    if opt.get("choices"):
        kind += " (" + ", ".join(f"`{c}`" for c in opt["choices"]) + ")"
    return kind


def _default(opt):
    if opt.get("required"):
        return "**required**"
    if "default" not in opt:
        return ""
    value = opt["default"]
    if value in ("", None):
        return "`''`" if value == "" else ""
    if isinstance(value, str):
        text = value
    else:
        text = yaml.safe_dump(value, default_flow_style=True, explicit_end=False).strip()
        text = text.removesuffix("...").strip()
    return "`" + text.replace("|", "\\|").replace("\n", " ") + "`"


def _description(opt):
    desc = opt.get("description", "")
    if isinstance(desc, list):
        desc = " ".join(desc)
    desc = " ".join(desc.split()).replace("|", "\\|")
    # Ansible's doc markup: C(code), O(option), V(value), I(italic) -> Markdown.
    desc = re.sub(r"\b[COV]\(([^()]*)\)", r"`\1`", desc)
    return re.sub(r"\bI\(([^()]*)\)", r"*\1*", desc)


def role_table(role, heading=True):
    spec_file = ROOT / "roles" / role / "meta" / "argument_specs.yml"
    spec = yaml.safe_load(spec_file.read_text())["argument_specs"]["main"]
    out = []
    if heading:
        out.append(f"### `filament.mlflow.{role}`\n")
        out.append(_description({"description": spec.get("short_description", "")}) + "\n")
    out.append("| variable | type | default | description |")
    out.append("|---|---|---|---|")
    for name, opt in sorted(spec.get("options", {}).items()):
        out.append(f"| `{name}` | {_type(opt)} | {_default(opt)} | {_description(opt)} |")
    out.append("")
    return "\n".join(out)


def tables():
    return "\n".join(role_table(role) for role in ROLES)


def render(text, body):
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return f"{head}{BEGIN}\n{body}{END}{tail}"


def documents():
    """Each generated README with the text it should hold."""
    yield README, render(README.read_text(), tables())
    for role in ROLES:
        path = ROOT / "roles" / role / "README.md"
        yield path, render(path.read_text(), role_table(role, heading=False))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a README is out of date")
    args = parser.parse_args()
    stale = []
    for path, wanted in documents():
        if path.read_text() == wanted:
            continue
        if args.check:
            stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(wanted)
    if stale:
        sys.exit("role variable tables out of date in " + ", ".join(stale) + ": run `make docs`")


if __name__ == "__main__":
    main()
