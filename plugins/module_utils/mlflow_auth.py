# -*- coding: utf-8 -*-
# Copyright: Filament MLflow maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""MLflow's basic-auth users and their permissions, kept as the inventory declares them.

The plan (which users to make, whose password or admin flag to set, which permissions to grant,
change or take back, which users to remove) is worked out here from what the stores hold, without
MLflow; ``Client`` reads and writes MLflow's own stores (the auth database through MLflow's auth
store, experiments through its tracking store) and is used by the filament.mlflow.mlflow_auth module
with the server's virtualenv, which has MLflow.

What the module made is recorded in a table of its own in the auth database (``MANAGED_TABLE``):
a user or a permission leaves MLflow when it leaves the inventory, while the users an admin makes
through MLflow's API, and the MANAGE permission MLflow grants whoever creates an experiment, are
left as they are.
"""

from __future__ import annotations

PERMISSIONS = ('READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS')
# The kinds of permission, as the inventory names them and as they are recorded; a kind is also
# the middle of MLflow's auth store methods (get_experiment_permission, ...).
EXPERIMENT, MODEL, USER = 'experiment', 'registered_model', 'user'
STORE_VERBS = {'grant': 'create', 'change': 'update', 'revoke': 'delete'}
KINDS = {'experiments': EXPERIMENT, 'models': MODEL}
MANAGED_TABLE = 'filament_managed_auth'
MIN_PASSWORD = 12  # MLflow's own rule (mlflow.utils.validation._validate_password)


class AuthError(Exception):
    """What went wrong, in words that name the input and never a secret."""


def wanted_users(admin_username, users, where='users'):
    """The inventory's users as {name: {'admin': bool, 'grants': {(kind, resource name): permission}}},
    checked; the admin is not among them. Raises AuthError naming the entry that is wrong."""
    found = {}
    for index, user in enumerate(users or []):
        label = '%s[%d]' % (where, index)
        if not isinstance(user, dict):
            raise AuthError('%s must be a mapping with name and password.' % label)
        name = str(user.get('name') or '')
        if not name or name != name.strip():
            raise AuthError('%s: name must be a non-empty user name without surrounding spaces.' % label)
        if name == admin_username:
            raise AuthError('%s: %s is the admin account; it is set by the admin username and password, not listed.'
                            % (label, name))
        if name in found:
            raise AuthError('%s: the user %s is listed twice.' % (label, name))
        if len(str(user.get('password') or '')) < MIN_PASSWORD:
            raise AuthError('%s: the password of %s must be at least %d characters (MLflow\'s rule).'
                            % (label, name, MIN_PASSWORD))
        unknown = sorted(set(user) - {'name', 'password', 'admin', 'experiments', 'models'})
        if unknown:
            raise AuthError('%s: unknown keys %s (expected name, password, admin, experiments, models).'
                            % (label, ', '.join(unknown)))
        grants = {}
        for key, kind in sorted(KINDS.items()):
            for number, grant in enumerate(user.get(key) or []):
                place = '%s.%s[%d]' % (label, key, number)
                if not isinstance(grant, dict) or not str(grant.get('name') or ''):
                    raise AuthError('%s must be a mapping with name and permission.' % place)
                permission = str(grant.get('permission') or '')
                if permission not in PERMISSIONS:
                    raise AuthError('%s: permission must be one of %s; got %r.'
                                    % (place, ', '.join(PERMISSIONS), permission))
                if (kind, str(grant['name'])) in grants:
                    raise AuthError('%s: %s is listed twice for %s.' % (place, grant['name'], name))
                grants[(kind, str(grant['name']))] = permission
        found[name] = {'admin': bool(user.get('admin', False)), 'grants': grants}
    return found


def without_secrets(text, params):
    """text with the passwords of params (the admin's, the users', those inside the URIs) blanked out."""
    from urllib.parse import unquote, urlsplit

    secrets = [params.get('admin_password')] + [user.get('password') for user in params.get('users') or []]
    for key in ('auth_database_uri', 'tracking_uri'):
        uri = params.get(key) or ''
        secrets.append(uri)
        try:
            password = urlsplit(uri).password
        except ValueError:
            password = None
        if password:
            secrets += [password, unquote(password)]
    for secret in sorted({str(secret) for secret in secrets if secret}, key=len, reverse=True):
        text = text.replace(secret, '********')
    return text


def plan(admin, wanted, current, managed):
    """The steps that make the stores hold what is wanted.

    admin: {'name', 'exists', 'admin', 'password_ok'} for the admin account.
    wanted: wanted_users(), with each grant's resource given as its id (experiments) or name (models).
    current: {name: {'admin': bool, 'password_ok': bool, 'grants': {(kind, resource): permission}}} for
      every user that is wanted or managed and exists (grants: those of the wanted or managed kinds).
    managed: the set of recorded (kind, user, resource); users recorded with kind USER and resource ''.
    Each step is a tuple; the order is the order to apply them in."""
    steps = []
    if not admin['exists']:
        steps.append(('create_user', admin['name'], True))
    else:
        if not admin['password_ok']:
            steps.append(('set_password', admin['name']))
        if not admin['admin']:
            steps.append(('set_admin', admin['name'], True))
    for name in sorted(wanted):
        want, have = wanted[name], current.get(name)
        if have is None:
            steps.append(('create_user', name, want['admin']))
        else:
            if not have['password_ok']:
                steps.append(('set_password', name))
            if have['admin'] != want['admin']:
                steps.append(('set_admin', name, want['admin']))
        if (USER, name, '') not in managed:
            steps.append(('record', USER, name, ''))
        held = have['grants'] if have else {}
        for (kind, resource), permission in sorted(want['grants'].items()):
            if (kind, resource) not in held:
                steps.append(('grant', kind, name, resource, permission))
            elif held[(kind, resource)] != permission:
                steps.append(('change', kind, name, resource, permission))
            if (kind, name, resource) not in managed:
                steps.append(('record', kind, name, resource))
    # Per user, its permissions before the user itself.
    for kind, name, resource in sorted(managed, key=lambda row: (row[1], row[0] == USER, row[0], row[2])):
        if name not in wanted:
            if kind == USER and name in current:
                steps.append(('delete_user', name))
            steps.append(('forget', kind, name, resource))
        elif kind != USER and (kind, resource) not in wanted[name]['grants']:
            if (kind, resource) in current.get(name, {}).get('grants', {}):
                steps.append(('revoke', kind, name, resource))
            steps.append(('forget', kind, name, resource))
    return steps


def changes(steps):
    """The steps that change what MLflow does (recording what the module manages is not one)."""
    return [step for step in steps if step[0] not in ('record', 'forget')]


def describe(step, names=None):
    """One step in words, without a secret; names: {experiment id: name} for the experiments."""
    names = names or {}
    what = step[0]
    if what == 'create_user':
        return 'create user %s%s' % (step[1], ' (admin)' if step[2] else '')
    if what == 'set_password':
        return 'set the password of %s' % step[1]
    if what == 'set_admin':
        return '%s %s admin' % ('make' if step[2] else 'no longer make', step[1])
    if what == 'delete_user':
        return 'delete user %s' % step[1]
    kind, name, resource = step[1], step[2], step[3]
    label = ('experiment %s' % names.get(resource, resource)) if kind == EXPERIMENT else 'model %s' % resource
    if what == 'grant':
        return 'grant %s %s on %s' % (name, step[4], label)
    if what == 'change':
        return 'change %s on %s to %s' % (name, label, step[4])
    if what == 'revoke':
        return 'revoke the permission of %s on %s' % (name, label)
    return '%s %s %s of %s' % (what, kind, label if kind != USER else '', name)


def view(users, names=None):
    """What the diff shows of users ({name: {'admin', 'grants'}}): admin flags and permissions."""
    names = names or {}
    shown = {}
    for name, user in sorted(users.items()):
        grants = {}
        for (kind, resource), permission in sorted(user.get('grants', {}).items()):
            key = 'experiments' if kind == EXPERIMENT else 'models'
            grants.setdefault(key, {})[names.get(resource, resource) if kind == EXPERIMENT else resource] = permission
        shown[name] = dict(admin=bool(user.get('admin')), **grants)
    return shown


def diff(admin, wanted, current, managed, steps, names=None):
    """before/after of the users the module keeps (and the admin), with the passwords that change
    named, never shown."""
    keep = set(wanted) | {name for kind, name, dummy in managed}
    before = {name: user for name, user in current.items() if name in keep}
    if admin['exists']:
        before[admin['name']] = {'admin': admin['admin'], 'grants': {}}
    after = {name: {'admin': user['admin'], 'grants': user['grants']} for name, user in wanted.items()}
    after[admin['name']] = {'admin': True, 'grants': {}}
    passwords = sorted(step[1] for step in steps if step[0] == 'set_password')
    return {'before': {'users': view(before, names)},
            'after': {'users': view(after, names), 'passwords_set': passwords}}


def _first_auth_tables(uri):
    """Make the tables of MLflow's first auth migration where MySQL or MariaDB would refuse it.

    That migration names the foreign keys of two tables fk_user_id, and MySQL and MariaDB want each
    constraint name once per database (mlflow/mlflow#9642, #10964). Here they are made as it makes
    them, with a name of their own for the second key; MLflow then takes the database for one made
    before its auth migrations were versioned, stamps it with the first revision and runs the rest.
    A version table an earlier failed attempt of MLflow's left empty is dropped for the same reason."""
    import sqlalchemy as sa

    engine = sa.create_engine(uri)
    try:
        if engine.dialect.name != 'mysql':
            return
        tables = set(sa.inspect(engine).get_table_names())
        with engine.begin() as connection:
            if 'alembic_version_auth' in tables:
                if connection.execute(sa.text('SELECT COUNT(*) FROM alembic_version_auth')).scalar():
                    return  # versioned: MLflow's migrations take it from there
                connection.execute(sa.text('DROP TABLE alembic_version_auth'))
        metadata = sa.MetaData()
        sa.Table('users', metadata,
                 sa.Column('id', sa.Integer(), nullable=False, primary_key=True),
                 sa.Column('username', sa.String(length=255), nullable=True),
                 sa.Column('password_hash', sa.String(length=255), nullable=True),
                 sa.Column('is_admin', sa.Boolean(), nullable=True),
                 sa.UniqueConstraint('username'))
        sa.Table('experiment_permissions', metadata,
                 sa.Column('id', sa.Integer(), nullable=False, primary_key=True),
                 sa.Column('experiment_id', sa.String(length=255), nullable=False),
                 sa.Column('user_id', sa.Integer(), nullable=False),
                 sa.Column('permission', sa.String(length=255), nullable=True),
                 sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_user_id'),
                 sa.UniqueConstraint('experiment_id', 'user_id', name='unique_experiment_user'))
        sa.Table('registered_model_permissions', metadata,
                 sa.Column('id', sa.Integer(), nullable=False, primary_key=True),
                 sa.Column('name', sa.String(length=255), nullable=False),
                 sa.Column('user_id', sa.Integer(), nullable=False),
                 sa.Column('permission', sa.String(length=255), nullable=True),
                 sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_registered_model_permissions_user_id'),
                 sa.UniqueConstraint('name', 'user_id', name='unique_name_user'))
        metadata.create_all(engine, checkfirst=True)
    finally:
        engine.dispose()


def _auth_schema_at_head(uri):
    """Whether the auth database is at the newest revision of MLflow's auth migrations."""
    import sqlalchemy as sa
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from mlflow.server.auth.db import utils as dbutils

    engine = sa.create_engine(uri)
    try:
        try:
            engine.connect().close()
        except sa.exc.OperationalError as exc:
            if 'Unknown database' in str(exc):  # made by the database role's run, which a check run only reports
                return False
            raise
        script = ScriptDirectory.from_config(dbutils._get_alembic_config(engine.url.render_as_string(hide_password=False)))
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={'version_table': 'alembic_version_auth'})
            return context.get_current_revision() == script.get_current_head()
    finally:
        engine.dispose()


class Client:
    """MLflow's auth store (users, permissions) and tracking store (experiments by name).

    MLflow is imported here, in the server's virtualenv; nothing of it is needed to plan."""

    def __init__(self, auth_uri, tracking_uri, artifact_root, check_mode=False):
        try:
            from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore
        except ImportError as exc:
            raise AuthError('MLflow\'s auth store cannot be imported (%s): run the module with the interpreter '
                            'of a virtualenv that has mlflow[auth].' % exc)
        self._tracking_uri = tracking_uri
        self._artifact_root = artifact_root
        self._tracking = None
        self._table = None
        self._auth = SqlAlchemyStore()
        # Whether the auth database has MLflow's newest auth schema. Opening the store runs its
        # migrations, so a check run over an empty or older auth database only says it would.
        self.migrates = not _auth_schema_at_head(auth_uri)
        self.opened = not (check_mode and self.migrates)
        if self.opened:
            if self.migrates:
                _first_auth_tables(auth_uri)
            self._auth.init_db(auth_uri)

    # --- what the module manages, in its own table ----------------------------------------
    def _managed_table(self):
        if self._table is None:
            import sqlalchemy as sa

            metadata = sa.MetaData()
            self._table = sa.Table(MANAGED_TABLE, metadata,
                                   sa.Column('kind', sa.String(32), primary_key=True),
                                   sa.Column('username', sa.String(255), primary_key=True),
                                   sa.Column('resource', sa.String(255), primary_key=True))
            metadata.create_all(self._auth.engine, checkfirst=True)
        return self._table

    def managed(self):
        table = self._managed_table()
        with self._auth.engine.connect() as connection:
            return {(row[0], row[1], row[2]) for row in connection.execute(table.select())}

    def _record(self, kind, name, resource, keep):
        table = self._managed_table()
        with self._auth.engine.begin() as connection:
            if keep:
                connection.execute(table.insert().values(kind=kind, username=name, resource=resource))
            else:
                connection.execute(table.delete().where(table.c.kind == kind, table.c.username == name,
                                                        table.c.resource == resource))

    # --- experiments ------------------------------------------------------------------------
    def _experiments(self):
        if self._tracking is None:
            from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

            self._tracking = SqlAlchemyStore(self._tracking_uri, self._artifact_root)
        return self._tracking

    def experiment_ids(self, names):
        """{name: id} of the experiments that exist (deleted ones included: their permissions stay)."""
        found = {}
        for name in names:
            experiment = self._experiments().get_experiment_by_name(name)
            if experiment is not None:
                found[name] = str(experiment.experiment_id)
        return found

    def create_experiment(self, name):
        return str(self._experiments().create_experiment(name))

    # --- users ------------------------------------------------------------------------------
    def user(self, name, password):
        """{'admin', 'password_ok'} of the user, or None when there is none."""
        if not self._auth.has_user(name, use_primary=True):
            return None
        return {'admin': bool(self._auth.get_user(name).is_admin),
                'password_ok': self._auth.authenticate_user(name, password, use_primary=True) if password else True}

    def grants(self, name, resources):
        """{(kind, resource): permission} the user holds on resources [(kind, resource)]."""
        from mlflow.exceptions import MlflowException

        found = {}
        for kind, resource in resources:
            try:
                found[(kind, resource)] = getattr(self._auth, 'get_%s_permission' % kind)(resource, name).permission
            except MlflowException:
                continue
        return found

    def apply(self, steps, passwords):
        """Carry out the steps; passwords: {name: password} of the admin and the wanted users."""
        auth = self._auth
        for step in steps:
            what = step[0]
            if what == 'create_user':
                auth.create_user(step[1], passwords[step[1]], is_admin=step[2])
            elif what == 'set_password':
                auth.update_user(step[1], password=passwords[step[1]])
            elif what == 'set_admin':
                auth.update_user(step[1], is_admin=step[2])
            elif what == 'delete_user':
                auth.delete_user(step[1])
            elif what in ('record', 'forget'):
                self._record(step[1], step[2], step[3], what == 'record')
            else:  # grant, change, revoke: the store's {create,update,delete}_<kind>_permission
                kind, name, resource = step[1], step[2], step[3]
                call = getattr(auth, '%s_%s_permission' % (STORE_VERBS[what], kind))
                call(resource, name, *step[4:])
