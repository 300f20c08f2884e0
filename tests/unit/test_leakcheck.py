"""The suite's own leak scanner must find what it is there to find."""

from tests.leakcheck import leaked


def test_a_password_anywhere_in_the_output_is_a_leak() -> None:
    assert leaked("blå fjorder", 'event="x" body={"password": "blå fjorder"}')
    assert not leaked("blå fjorder", 'event="x" body={"password": "[redacted]"}')


def test_a_code_is_a_leak_in_text_but_not_as_part_of_a_timestamp() -> None:
    assert leaked("573123", "Engangskoden din er 573123.")
    assert leaked("573123", 'code="573123"')
    assert not leaked("573123", "2026-11-28T13:42:16.573123+00:00")
    assert not leaked("573123", "id 95731234")
    assert not leaked("441174", "path=/api/v1/plans/8a6d1921-6155-4d57-915f-d8e441174d5a")
