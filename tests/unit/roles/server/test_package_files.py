"""Every module of the role's package is put on the host: install.yml lists each one, and the
package's version (a digest of the modules) covers the same files."""

import pathlib

import yaml

ROLE = pathlib.Path(__file__).resolve().parents[4] / 'roles' / 'server'
PACKAGE = ROLE / 'files' / 'filament_mlflow_server' / 'filament_mlflow_server'


def test_install_lists_every_module_of_the_package():
    tasks = yaml.safe_load((ROLE / 'tasks' / 'install.yml').read_text())
    listed = set()
    for task in tasks:
        for item in (task.get('filament.mlflow.files') or {}).get('files', []):
            if isinstance(item, dict) and str(item.get('src', '')).startswith('{{ __server_app_package }}/'):
                listed.add(item['src'].split('/')[-1])
    assert listed == {path.name for path in PACKAGE.glob('*.py')}
