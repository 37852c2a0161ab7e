"""Unit tests of filament-mlflow-gc's own part: its arguments and messages without the store's secrets."""

import pytest

from filament_mlflow_server import gc


@pytest.mark.parametrize('older', ['30d', '12h', '1d2h30m', '45s', '1.5d'])
def test_mlflow_formats_of_older_than_are_taken(older):
    assert gc.parse_args(['--older-than', older, '--tracking-uri', 'http://localhost:5000']).older_than == older


@pytest.mark.parametrize('older', ['', '30', '2w', 'd', '1h2d', '-1d'])
def test_anything_else_is_refused_with_the_option_named(older, capsys):
    with pytest.raises(SystemExit):
        gc.parse_args(['--older-than=' + older, '--tracking-uri', 'http://localhost:5000'])
    assert '--older-than must be like 30d' in capsys.readouterr().err


def test_messages_lose_the_uri_and_the_password():
    uri = 'mysql+pymysql://mlflow:p%40ss%2Fw@127.0.0.1:3306/mlflow?charset=utf8mb4'
    said = gc.scrub("can't connect to %s as mlflow with p@ss/w (p%%40ss%%2Fw)" % uri, uri)
    assert 'p@ss/w' not in said and 'p%40ss%2Fw' not in said and uri not in said
    assert '<backend store URI>' in said and '<password>' in said


def test_without_a_store_uri_it_stops_and_says_where_it_comes_from(monkeypatch):
    monkeypatch.delenv('MLFLOW_BACKEND_STORE_URI', raising=False)
    with pytest.raises(SystemExit) as stopped:
        gc.main(['--older-than', '30d', '--tracking-uri', 'http://localhost:5000'])
    assert 'MLFLOW_BACKEND_STORE_URI is not set' in str(stopped.value)
