import pytest

from payments.errors import ConfigError
from payments.scheduler import parse_schedule


def test_a_crontab_schedule_is_parsed_per_job():
    schedule = parse_schedule("verify_audit=30 3 * * *")
    assert list(schedule) == ["verify_audit"]
    assert "hour='3'" in str(schedule["verify_audit"])


def test_six_fields_put_seconds_first():
    schedule = parse_schedule("verify_audit=*/5 * * * * *")
    assert "second='*/5'" in str(schedule["verify_audit"])


def test_an_unknown_job_is_refused_with_the_known_ones_listed():
    with pytest.raises(ConfigError, match=r"unknown job 'pay_everyone'.*verify_audit"):
        parse_schedule("pay_everyone=* * * * *")


def test_a_wrong_number_of_cron_fields_is_refused():
    with pytest.raises(ConfigError, match="5 or 6 cron fields"):
        parse_schedule("verify_audit=* *")
