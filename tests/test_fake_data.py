"""Fake people in templates: realistic, valid, and the same bytes for the same variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import phonenumbers
import pytest

from reconcile.profiles import fake
from reconcile.profiles.loader import load_profiles
from reconcile.profiles.templates import render_profile_template_lines
from tests.conftest import REPO, Project

SEED = REPO / "docs" / "examples" / "seed" / "customers" / "synthetic.yaml.j2"
SEED_NAME = "synthetic.yaml.j2"


def render_seed(**variables: object) -> str:
    text = SEED.read_text(encoding="utf-8")
    return render_profile_template_lines(text, variables, "t", seed_name=SEED_NAME).text


def test_the_same_variables_render_the_same_bytes_in_any_process() -> None:
    first = render_seed(count="300")
    fake._person.cache_clear()
    fake._faker.cache_clear()  # a fresh Faker instance, as in a new run
    assert render_seed(count="300") == first
    # Another interpreter, with another hash seed: nothing depends on hash() or on memory.
    script = (
        "import sys; from tests.test_fake_data import render_seed;"
        "sys.stdout.buffer.write(render_seed(count='300').encode())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, check=True
    )
    assert other.stdout == first.encode()


def test_more_customers_keep_the_ones_declared_and_a_seed_gives_other_people() -> None:
    entries = render_seed(count="40").split("\n  - key: ")[:-1]  # the last one ends the file
    assert render_seed(count="80").split("\n  - key: ")[: len(entries)] == entries
    reseeded = render_seed(count="40", seed="b").split("\n  - key: ")
    assert reseeded[1].splitlines()[0] == entries[1].splitlines()[0]  # same key,
    assert reseeded[1] != entries[1]  # another person


def test_fake_people_are_valid_for_omneo_in_their_locale() -> None:
    data = fake.FakeData("customers/seed.yaml.j2")
    for locale, region in [("en_AU", "AU"), ("de_DE", "DE"), ("ja_JP", "JP"), ("pt_BR", "BR")]:
        people = [data.person(n, locale) for n in range(0, 3000, 3)]
        mobiles = {p.mobile_phone for p in people}
        assert len(mobiles) == len(people)  # unique: a bijection of the person number
        for person in people:
            number = phonenumbers.parse(person.mobile_phone)
            assert phonenumbers.is_valid_number(number), person
            assert phonenumbers.region_code_for_number(number) == region
            assert phonenumbers.number_type(number) in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
            )
            assert person.email.isascii() and person.email.endswith(f"{person.number}@example.com")
            born = date.fromisoformat(person.birth_date)
            assert (born.day, born.month, born.year) == (
                person.birth_day,
                person.birth_month,
                person.birth_year,
            )
            assert 1940 <= born.year <= 2006 and person.address.iso == region
            assert person.address.address_line_1 and person.address.state
        assert len({p.email for p in people}) == len(people)
    assert data.person(1, "ja_JP").first_name.isascii() is False  # names in the locale's script
    assert data.person(5, domain="shop.example").email.endswith("5@shop.example")


def test_a_seed_of_1000_loads_without_a_clash(project: Project) -> None:
    project.write("seed/synthetic.yaml.j2", SEED.read_text(encoding="utf-8"))
    declared = load_profiles(project.profiles, phone_region="AU", variables={"count": "1000"})
    assert len(declared.profiles) == 1000
    variables = {"count": "50", "locale": "fr_FR"}
    one_locale = load_profiles(project.profiles, phone_region="AU", variables=variables)
    assert {(p.view.get("mobile_phone") or "")[:3] for p in one_locale.profiles} == {"+33"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("fake.person(1, 'xx_YY')", "unknown locale 'xx_YY'"),
        ("fake.person(1, domain='gmail.com')", "domain 'gmail.com' may be real"),
        ("fake.person(-1)", "fake.person(-1): the person number must be 0 or more"),
        ("fake.person('7')", "fake.person('7'): the person number must be 0 or more"),
        ("fake.person(10**7)", "region AU has mobiles for person numbers below 1,000,000"),
    ],
)
def test_a_wrong_call_is_one_line_at_the_template_line(
    project: Project, call: str, message: str
) -> None:
    project.write("people.yaml.j2", f"key: a\n\nfirst_name: {{{{ {call}.first_name }}}}\n")
    result = project.cli("validate")
    assert result.exit_code == 1
    assert f"profiles.d/people.yaml.j2:3: template error: {message}" in result.stderr
    assert "Traceback" not in result.output


def test_cost_per_fake_person_is_small() -> None:
    """The figure docs/profiles.md quotes: rendering 1,000 seed customers, with and without."""
    script = (
        "import json, time; from tests.test_fake_data import render_seed;"
        "render_seed(count='1');"  # the Faker instances, once a run
        "t = time.process_time(); render_seed(count='1000');"
        "print(json.dumps(time.process_time() - t))"
    )
    seconds = json.loads(
        subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, capture_output=True, check=True, text=True
        ).stdout
    )
    assert seconds / 1000 < 0.02, seconds  # docs/profiles.md: about 1 ms of CPU a person


def test_the_seed_example_uses_fake_not_name_lists() -> None:
    text = Path(SEED).read_text(encoding="utf-8")
    assert "fake.person(" in text and "first_names" not in text
