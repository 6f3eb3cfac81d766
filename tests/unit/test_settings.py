import pytest

from fundguard.runtime.settings import SettingsError, load


def test_defaults_fill_every_address() -> None:
    s = load("claims", {"DATABASE_URL": "postgresql://u@h:5432/d"})
    assert s.addr("rules") == "127.0.0.1:50052"
    assert s.listen_addr == "127.0.0.1:50051"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://u@h/d", "FUNDGUARD_RULES_ADDR": "rules"}, "FUNDGUARD_RULES_ADDR"),
        ({"DATABASE_URL": "postgresql://u@h/d", "FUNDGUARD_LISTEN_ADDR": "0.0.0.0:99999"}, "FUNDGUARD_LISTEN_ADDR"),
        ({"DATABASE_URL": "postgresql://u@h/d", "FUNDGUARD_LOG_LEVEL": "loud"}, "FUNDGUARD_LOG_LEVEL"),
    ],
)
def test_a_bad_setting_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load("claims", env)
