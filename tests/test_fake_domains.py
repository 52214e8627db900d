"""Fake data that can load: ``fake.person`` offers only the domains the loader (and the sandbox,
both following docs/validation-rules.md) accept, and every error suggests only domains that
work."""

from __future__ import annotations

import re

import pytest

from reconcile.errors import FakeDataError, InvalidValue
from reconcile.model.normalize import normalize_email
from reconcile.profiles.fake import FakeData
from tests.conftest import Project

ACCEPTED = ("example.com", "EXAMPLE.org", "example.net", "shop.example", "shop.example.com")
REFUSED = ("shop.test", "x.invalid", "x.localhost", "test", "gmail.com", "-x.example")


def test_every_domain_fake_offers_loads_and_applies_to_the_sandbox(project: Project) -> None:
    calls = [f"fake.person({n}, domain={domain!r})" for n, domain in enumerate(ACCEPTED)]
    project.write(
        "seed.yaml.j2",
        "profiles:\n"
        + "".join(
            f"  - key: p{n}\n    email: {{{{ {call}.email }}}}\n" for n, call in enumerate(calls)
        ),
    )
    for n, domain in enumerate(ACCEPTED):
        email = FakeData("seed.yaml.j2").person(n, domain=domain).email
        assert normalize_email(email) == email.lower()

    applied = project.cli("apply", "--auto-approve")  # the sandbox checks each email itself

    assert applied.exit_code == 0, applied.output
    assert project.cli("plan", "--detailed-exitcode").exit_code == 0


@pytest.mark.parametrize("domain", REFUSED)
def test_a_domain_that_cannot_load_is_refused_with_domains_that_work(domain: str) -> None:
    with pytest.raises(FakeDataError) as raised:
        FakeData("t.yaml.j2").person(3, domain=domain)
    suggested = re.findall(r"[\w.-]*example[\w.-]*", str(raised.value).split("one of:")[1])
    assert suggested
    for name in suggested:
        example = f"a@shop.{name.removeprefix('.')}" if name == ".example" else f"a@{name}"
        assert normalize_email(example)
    assert ".test" not in str(raised.value).split("one of:")[1]


def test_the_loaders_own_error_suggests_only_domains_that_load() -> None:
    with pytest.raises(InvalidValue) as raised:
        normalize_email("jane@shop.test")
    message = str(raised.value)
    assert "for test data use example.com, example.org, example.net" in message
    assert ".test" not in message.split("for test data use")[1]


def test_a_template_with_a_special_use_domain_fails_at_its_line(project: Project) -> None:
    project.write(
        "seed.yaml.j2",
        "profiles:\n  - key: p1\n    email: {{ fake.person(1, domain='shop.test').email }}\n",
    )
    result = project.cli("validate")
    assert result.exit_code == 1
    assert "seed.yaml.j2:3: template error: domain 'shop.test' is reserved, but email" in (
        result.stderr
    )
