"""No personal data in messages: ``reconcile validate`` on a catalogue of bad personal values
(birth dates, emails, phones, names, addresses, custom attributes) reports each problem and
prints none of the values it is about."""

from __future__ import annotations

from tests.conftest import Project

# file → (YAML of one profile, the values that must never be printed)
CATALOGUE = {
    "birth.yaml": ("birth_day: 30\nbirth_month: 2\nbirth_year: 1971\n", ("1971", "30")),
    "birth-no-year.yaml": ("birth_day: 31\nbirth_month: 4\n", ("31",)),
    "email-syntax.yaml": (
        "email: jane.citizen@@citizen-family.com\n",
        ("jane.citizen", "citizen-family"),
    ),
    "email-special.yaml": ("email: jane.citizen@citizen.test\n", ("jane.citizen", "citizen.test")),
    "email-space.yaml": (
        "email: jane citizen@citizen-family.com\n",
        ("jane citizen", "citizen-family"),
    ),
    "email-domain.yaml": ("email: jane@citizen_family.com\n", ("citizen_family",)),
    "phone-short.yaml": ('mobile_phone: "0412 34"\n', ("0412 34", "041234")),
    "phone-invalid.yaml": ('secondary_phone: "+6141234567899"\n', ("41234567899",)),
    "phone-unquoted.yaml": ("mobile_phone: +61412345678\n", ("412345678", "412 345 678")),
    "phone-zero.yaml": ("mobile_phone: 0412345678\n", ("412345678",)),
    "name-long.yaml": (f"first_name: Jane{'e' * 300}\n", ("Janeeeee",)),
    "name-number.yaml": ("last_name: 1971\nfirst_name: Jane\n", ("1971",)),
    "title-long.yaml": (f"title: Baroness{'x' * 300}\n", ("Baronessx",)),
    "address.yaml": (
        "addresses:\n  - {address_line_1: 42 Wallaby Way, state: NSW, postcode: '2000', "
        f"country: AU, city: Sydney{'y' * 300}}}\n",
        ("Wallaby", "Sydneyyy"),
    ),
    "custom.yaml": (
        "custom_attributes:\n  family: {partner: {type: integer, value: Maxine Citizen}}\n",
        ("Maxine",),
    ),
    "date.yaml": ("dates:\n  wedding: {date: 2015-02-30, name: Our wedding}\n", ("2015-02-30",)),
}


def test_validate_reports_bad_personal_values_without_showing_them(project: Project) -> None:
    for name, (body, _) in CATALOGUE.items():
        project.write(name, f"email: {name.removesuffix('.yaml')}@example.com\n{body}"
                      if "email" not in body else body)  # fmt: skip

    result = project.cli("validate")

    assert result.exit_code == 1
    reported = {
        line.removeprefix("error: ").split(":", 1)[0] for line in result.stderr.splitlines()
    }
    assert {f"profiles.d/{name}" for name in CATALOGUE} <= reported, result.stderr
    shown = [(v, n) for n, (_, values) in CATALOGUE.items() for v in values if v in result.output]
    assert shown == [], result.stderr


def test_an_impossible_birth_date_names_no_part_of_it(project: Project) -> None:
    project.write(
        "p1.yaml", "email: p1@example.com\nbirth_day: 31\nbirth_month: 2\nbirth_year: 1971\n"
    )

    result = project.cli("validate")

    assert result.stderr.startswith(
        "error: profiles.d/p1.yaml:2: p1: birth_day: this day does not exist in the declared "
        "month and year\n"
    )
