# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.filament.mlflow.plugins.module_utils import systemd_restart as logic


def test_a_killed_service_comes_back_after_a_second_and_systemd_never_gives_up():
    assert logic.lines('Service').splitlines() == ['Restart=on-failure', 'RestartSec=1s']
    assert logic.lines('Unit').splitlines() == ['StartLimitIntervalSec=0']


def test_other_sections_have_no_restart_settings():
    with pytest.raises(logic.InvalidSection, match="Service and Unit, not 'Install'"):
        logic.lines('Install')
