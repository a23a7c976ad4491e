"""The environment Blender is started with (`clean_env`): every variable that names an API key,
a token, a secret or a password is dropped, whatever its case; everything else is kept; neither
the caller's dict nor `os.environ` is changed (issue 15, mutation testing of the Blender
environment). No Blender runs here: `clean_env` is what both the one-shot run and the worker
pass as `env=`."""

from __future__ import annotations

import os

from scenelang.backends.blender.runner import clean_env

SENSITIVE = ["OPENAI_API_KEY", "openai_api_key", "Anthropic_Api_Key", "GITHUB_TOKEN",
             "token_cache", "MY_SECRET", "aws_secret_access_key", "DB_PASSWORD", "password"]
HARMLESS = {"PATH": "/usr/bin", "HOME": "/home/u", "SCENELANG_HARMLESS": "kept", "LANG": "C",
            "KEYBOARD": "us"}


def test_every_key_token_secret_or_password_is_dropped_in_any_case():
    base = dict.fromkeys(SENSITIVE, "x") | HARMLESS
    assert clean_env(base) == HARMLESS


def test_the_callers_dict_is_not_changed():
    base = {"GITHUB_TOKEN": "x", "PATH": "/bin"}
    clean_env(base)
    assert base == {"GITHUB_TOKEN": "x", "PATH": "/bin"}


def test_a_given_base_replaces_the_process_environment(monkeypatch):
    monkeypatch.setenv("SCENELANG_ONLY_IN_OS_ENVIRON", "1")
    assert clean_env({"A": "1"}) == {"A": "1"}


def test_without_a_base_the_process_environment_is_cleaned_and_left_alone(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("my_password", "secret")
    monkeypatch.setenv("SCENELANG_HARMLESS", "kept")
    env = clean_env()
    assert "OPENAI_API_KEY" not in env and "my_password" not in env
    assert env["SCENELANG_HARMLESS"] == "kept" and env["PATH"] == os.environ["PATH"]
    assert os.environ["OPENAI_API_KEY"] == "sk-secret"
