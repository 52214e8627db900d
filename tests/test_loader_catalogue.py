"""The catalogue of broken input: one file (or folder) per failure mode under tests/data/broken/.

Each case is loaded on its own and must yield its expected message at its expected line, and the
whole catalogue through ``reconcile validate`` must report every problem in one run, without a
traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconcile.errors import ProfileError
from reconcile.profiles.loader import Limits, load_profiles
from tests.conftest import Project

BROKEN = Path(__file__).parent / "data" / "broken"

# case → (file the problem is reported in, line, a fragment of the message). Line 0: no line.
CATALOGUE: dict[str, tuple[str, int, str]] = {
    "syntax-bad-indent.yaml": ("", 2, "YAML syntax error at column 12: mapping values"),
    "syntax-unclosed-quote.yaml": ("", 3, "while scanning a quoted scalar"),
    "syntax-tab-indent.yaml": ("", 2, "found character that cannot start any token"),
    "syntax-two-documents.yaml": ("", 2, "expected a single document"),
    "control-character.yaml": ("", 1, "control characters are not allowed"),
    "binary.yaml": ("", 0, "is a binary file, not YAML text"),
    "latin-1.yaml": ("", 2, "is not UTF-8 text: byte 0xfc at line 2"),
    "huge.yaml": ("", 0, "over the 2,000 bytes limit for one file"),
    "alias-bomb.yaml": ("", 4, "YAML alias bombs are refused"),
    "alias-loop.yaml": ("", 2, "an alias refers to a value that contains it"),
    "deeply-nested.yaml": ("", 3, "nested more than 32 levels deep"),
    "yaml-python-tag.yaml": ("", 1, "the YAML tag !!python/object/apply:os.system is not"),
    "yaml-binary-tag.yaml": ("", 1, "the YAML tag !!binary is not supported"),
    "yaml-merge-not-mapping.yaml": ("", 1, "a merge (<<) needs a mapping"),
    "yaml-complex-key.yaml": ("", 1, "a field name must be plain text"),
    "duplicate-field.yaml": ("", 3, "'email' appears twice (first at line 1)"),
    "empty.yaml": ("", 1, "is empty: declare a profile"),
    "not-a-mapping.yaml": ("", 1, "must be a mapping (one profile) or hold a 'profiles:' list"),
    "profiles-not-a-list.yaml": ("", 1, "profiles: must be a list of profiles"),
    "profiles-with-other-fields.yaml": ("", 1, "first_name: a file with 'profiles:' holds only"),
    "list-item-not-mapping.yaml": ("", 3, "a profile must be a mapping of fields"),
    "list-missing-key.yaml": ("", 4, "key: is required for each profile in a 'profiles:' list"),
    "key-invalid.yaml": ("", 1, "Ann Lee: key: must be lowercase letters"),
    "Key From File Name.yaml": ("", 1, "the key comes from the file name"),
    "unknown-field.yaml": ("", 2, "emial: unknown field (did you mean 'email'?)"),
    "unknown-comms-flag.yaml": ("", 5, "sms_promoo: unknown field (did you mean 'sms_promo'?)"),
    "comms-not-boolean.yaml": ("", 3, "attributes.comms.sms_promo: must be true or false"),
    "comms-verification.yaml": ("", 3, "must be one of: sent, not_sent or verified"),
    "unknown-address-field.yaml": ("", 3, "addresses.0.citty: unknown field (did you mean 'city'"),
    "address-missing-city.yaml": ("", 2, "addresses.0.city: is required"),
    "invalid-email.yaml": ("", 2, "email: is not a valid email address"),
    "invalid-phone.yaml": ("", 2, "mobile_phone: is not a valid phone number"),
    "phone-not-quoted.yaml": ("", 2, "mobile_phone: must be text; quote it"),
    "birth-day-range.yaml": ("", 1, "birth_day: must be a day of the month, 1 to 31"),
    "birth-month-range.yaml": ("", 1, "birth_month: must be a month, 1 to 12"),
    "birth-year-digits.yaml": ("", 1, "birth_year: must be a four-digit year"),
    "birth-date-not-real.yaml": (
        "",
        3,
        "birth_day: this day does not exist in the declared month and year",
    ),
    "gender-unknown.yaml": ("", 2, "gender: must be one of: male, female, withheld or other"),
    "currency-lowercase.yaml": ("", 1, "currency: must be a three-letter ISO 4217 code"),
    "avatar-not-url.yaml": ("", 1, "avatar_url: must be an http:// or https:// URL"),
    "joined-at-not-date.yaml": ("", 1, "joined_at: is not a date-time"),
    "name-too-long.yaml": ("", 1, "first_name: must be at most 255 characters"),
    "name-not-text.yaml": ("", 1, "first_name: must be text"),
    "tags-not-a-list.yaml": ("", 1, "tags: must be a list"),
    "tag-empty.yaml": ("", 1, "tags.1: must not be empty"),
    "identity-handle-invalid.yaml": ("", 2, "identities.shop ify: an identity handle may hold"),
    "identity-not-text.yaml": ("", 2, "identities.shopify: must be text; quote it"),
    "custom-attribute-wrong-type.yaml": ("", 3, "the value is not of type integer"),
    "custom-attribute-unknown-type.yaml": ("", 3, "since.type: must be one of: string, integer"),
    "custom-attribute-typed-null.yaml": ("", 3, "tier: a typed value cannot be null"),
    "tags-too-many.yaml": ("", 2, "tags: declares 101 tags; Omneo keeps at most 100 a profile"),
    "identities-too-many.yaml": ("", 2, "identities: declares 21 identities; Omneo keeps at most"),
    "custom-attributes-too-many.yaml": ("", 2, "declares 101 custom attributes; Omneo keeps at"),
    "addresses-too-many.yaml": ("", 2, "addresses: declares 21 addresses; Omneo keeps at most 20"),
    "state-unknown.yaml": ("", 1, "state: must be one of: present, absent or purged"),
    "tombstone-with-pii.yaml": ("", 2, "email: a tombstone (state: absent) holds only key"),
    "purge-without-erasure.yaml": ("", 1, "state: purged needs erasure: {reference: ...}"),
    "erasure-without-purge.yaml": ("", 2, "erasure: erasure is only allowed with state: purged"),
    "template-syntax.yaml.j2": ("", 3, "template syntax error: unexpected '}'"),
    "template-undefined.yaml.j2": ("", 2, "template error: 'count' is undefined"),
    "template-sandbox.yaml.j2": ("", 1, "not allowed in a template (access to attribute"),
    "template-include.yaml.j2": ("", 1, "templates cannot include, import or extend other"),
    "template-invalid-value.yaml.j2": ("", 5, "cust-2: email: is not a valid email address"),
    "template-renders-bad-yaml.yaml.j2": ("", 4, "(line 3 of the rendered YAML)"),
    "template-after-if.yaml.j2": ("", 10, "after-if-2: email: is not a valid email address"),
    "template-after-for.yaml.j2": ("", 9, "after-for-1: birth_month: must be a month, 1 to 12"),
    "template-whitespace-control.yaml.j2": ("", 12, "trimmed-1: email: is not a valid email"),
    "template-macro.yaml.j2": ("", 5, "macro-1: birth_day: must be a day of the month"),
    "template-loop-bomb.yaml.j2": ("", 1, "over the template budget of 1,000,000 steps"),
    "template-repeat-bomb.yaml.j2": ("", 2, "repetition longer than 1,000,000 items"),
    "template-filter-width-bomb.yaml.j2": ("", 2, "a width or count over 1,000,000"),
    "template-method-width-bomb.yaml.j2": ("", 2, "a width or count over 1,000,000"),
    "template-percent-width-bomb.yaml.j2": ("", 2, "a format width over 1,000,000"),
    "template-format-width-bomb.yaml.j2": ("", 2, "a format width over 1,000,000"),
    "yaml11-octal-birth-day.yaml": (
        "",
        2,
        "birth_day: this number has a leading zero, so YAML 1.1 reads",
    ),
    "yaml11-octal-custom-attribute.yaml": ("", 3, "code: 0755 is 493 (octal) to YAML 1.1"),
    "yaml11-sexagesimal.yaml": ("", 3, "opens: 12:30 is 750 (base 60) to YAML 1.1 but text"),
    "yaml11-bool-country-no.yaml": ("", 6, "country: this value is a flag to YAML 1.1 but text"),
    "yaml11-bool-flag-on.yaml": ("", 3, "sms_promo: on is true (a flag) to YAML 1.1"),
    "yaml11-bool-tag-off.yaml": ("", 1, "tags.1: off is false (a flag) to YAML 1.1 but text"),
    "yaml11-underscore-number.yaml": ("", 3, "points: 1_000 is 1000 to YAML 1.1 but text"),
    "yaml12-exponent-number.yaml": ("", 3, "ratio: 1e3 is text to YAML 1.1 but 1000.0 to"),
    "yaml11-number-without-digits.yaml": ("", 3, "v: 0x_ looks like a number and is none"),
    "nonfinite-inf.yaml": ("", 3, "ratio: .inf is not a finite number"),
    "nonfinite-nan-typed.yaml": ("", 3, "ratio.value: .nan is not a finite number"),
    "nonfinite-negative-inf.yaml": ("", 2, "birth_year: this value is not a finite number"),
    "duplicate-key": ("b.yaml", 3, "ann: key: duplicate key; first declared at profiles.d/a"),
    "duplicate-email": ("bob.yaml", 2, "email: also claimed by 'ann' at profiles.d/ann.yaml:1"),
    "duplicate-mobile": ("bob.yaml", 2, "mobile_phone: also claimed by 'ann'"),
    "duplicate-identity": ("bob.yaml", 3, "identities.shopify: also claimed by 'ann'"),
    "tombstone-and-alive": ("gone/ann.yaml", 1, "a tombstone for a key declared alive at"),
    "previous-key-is-current": ("zoe-smith.yaml", 4, "'zoe' is the key of a profile declared at"),
    "previous-key-claimed-twice": ("zoe-b.yaml", 3, "'zoe' is also a previous key of 'zoe-a' at"),
    "previous-key-own-key.yaml": ("", 2, "previous_keys: lists the profile's own key"),
    "previous-key-on-tombstone.yaml": ("", 2, "previous_keys: a tombstone (state: absent) cannot"),
    "defaults-unknown-field": ("_defaults.yaml", 2, "compnay: unknown field (did you mean"),
    "defaults-sets-key": ("_defaults.yaml", 1, "key: cannot be a folder default"),
    "defaults-two-files": ("_defaults.yml", 1, "profiles.d/_defaults.yaml already sets defaults"),
    "defaults-combined-date": ("_defaults.yaml", 1, "ann: birth_day: this day does not exist"),
}


def test_the_catalogue_covers_every_broken_input_and_at_least_30_failure_modes() -> None:
    on_disk = {path.name for path in BROKEN.iterdir()}
    assert on_disk == set(CATALOGUE)
    assert len(CATALOGUE) >= 30


@pytest.mark.parametrize("case", sorted(CATALOGUE))
def test_each_broken_input_is_reported_at_its_line(case: str, tmp_path: Path) -> None:
    root = _profiles_with(case, tmp_path)
    expected_file, line, fragment = CATALOGUE[case]
    limits = Limits(max_file_bytes=2000) if case == "huge.yaml" else None

    with pytest.raises(ProfileError) as raised:
        load_profiles(root, phone_region="AU", limits=limits)

    name = f"profiles.d/{expected_file or case}"
    found = [str(p) for p in raised.value.problems if p.file == name and p.line == line]
    assert any(fragment in text for text in found), "\n".join(map(str, raised.value.problems))


def test_validate_reports_the_whole_catalogue_in_one_run_without_a_traceback(
    project: Project,
) -> None:
    single_files = [case for case in CATALOGUE if (BROKEN / case).is_file()]
    for case in single_files:
        shutil.copy(BROKEN / case, project.profiles / case)

    result = project.cli("validate")

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    reported = result.stderr.splitlines()
    assert reported[-1].endswith("problems found")
    assert int(reported[-1].split()[0]) >= len(single_files) - 1  # huge.yaml is under 64 MiB
    for case in single_files:
        _, line, fragment = CATALOGUE[case]
        if case != "huge.yaml":
            where = f"profiles.d/{case}:{line}" if line else f"profiles.d/{case}:"
            assert any(where in text and fragment in text for text in reported), case


def _profiles_with(case: str, tmp_path: Path) -> Path:
    root = tmp_path / "profiles.d"
    if (BROKEN / case).is_dir():
        shutil.copytree(BROKEN / case, root)
    else:
        root.mkdir()
        shutil.copy(BROKEN / case, root / case)
    return root
