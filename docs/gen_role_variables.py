"""Write the role variable tables of README.md and of each role's README from meta/argument_specs.yml,
and the server role's advisory table (the CVE floor) from roles/server/vars/advisories.yml.

    python docs/gen_role_variables.py          # rewrite the READMEs
    python docs/gen_role_variables.py --check  # exit 1 if one is out of date

The argument specs are the single source of truth; the READMEs carry a generated copy between
the `role-variables` markers: README.md every role's table, roles/<role>/README.md its own. The
server role's README carries the advisory table between the `advisories` markers.
"""

import argparse
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BEGIN, END = "<!-- BEGIN role-variables -->", "<!-- END role-variables -->"
ADVISORIES = ("<!-- BEGIN advisories -->", "<!-- END advisories -->")
APPLIES = {"always": "yes", "mlflow_auth": "with `server_auth: mlflow`", "file_store": "no (file store only)"}
ROLES = ("mysql", "minio", "seaweedfs", "server", "caddy", "metrics")


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


def advisory_table():
    path = ROOT / "roles" / "server" / "vars" / "advisories.yml"
    rows = ["| advisory | severity | what | affected | fixed in | counts here | source |", "|---|---|---|---|---|---|---|"]
    for entry in yaml.safe_load(path.read_text())["__server_advisories"]:
        name = entry["id"] + (f" ({entry['ghsa']})" if entry.get("ghsa") else "")
        source, dummy, note = entry["source"].partition(" ")
        rows.append(f"| {name} | {entry['severity']} | {entry['summary']} | `{entry['affected']}` | {entry['fixed']} "
                    f"| {APPLIES[entry['applies']]} | {source} {note.strip()} |".replace("  |", " |"))
    return "\n".join(rows) + "\n"


def render(text, body, markers=(BEGIN, END)):
    begin, end = markers
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    return f"{head}{begin}\n{body}{end}{tail}"


def documents():
    """Each generated README with the text it should hold."""
    yield README, render(README.read_text(), tables())
    for role in ROLES:
        path = ROOT / "roles" / role / "README.md"
        text = render(path.read_text(), role_table(role, heading=False))
        if role == "server":
            text = render(text, advisory_table(), ADVISORIES)
        yield path, text


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
        sys.exit("role variable or advisory tables out of date in " + ", ".join(stale) + ": run `make docs`")


if __name__ == "__main__":
    main()
