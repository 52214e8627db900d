"""Loading profiles.d/: the file format, normalisation, defaults, templates, tombstones, digest."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconcile.errors import ConfigError, ProfileError
from reconcile.model.desired import DesiredProfile
from reconcile.profiles.loader import DeclaredProfiles, Limits, load_profiles, read_variables
from reconcile.profiles.template_budget import MAX_TEMPLATE_STEPS


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load(root: Path, **options: object) -> DeclaredProfiles:
    return load_profiles(root, phone_region="AU", **options)  # type: ignore[arg-type]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "profiles.d"
    path.mkdir()
    return path


def test_a_one_profile_file_takes_its_key_from_the_file_name(root: Path) -> None:
    write(root, "staff/jane-doe.yaml", "first_name: Jane\n")
    write(root, "staff/sam.yml", "key: samuel\nfirst_name: Sam\n")

    declared = load(root)

    assert [p.key for p in declared.profiles] == ["jane-doe", "samuel"]
    assert declared.locations["jane-doe"].file == "profiles.d/staff/jane-doe.yaml"


def test_values_are_normalised_the_way_omneo_stores_them(root: Path) -> None:
    write(
        root,
        "jane.yaml",
        """
        first_name: "  Jane "
        email: " Jane.Doe@Example.COM "
        mobile_phone: 0412 345 678
        secondary_phone: "+61 2 9876 5432"
        tags: [mobile app, vip, vip]
        """,
    )

    view = load(root).profiles[0].flat_view()

    assert view["first_name"] == "Jane"
    assert view["email"] == "jane.doe@example.com"
    assert view["mobile_phone"] == "+61412345678"
    assert view["secondary_phone"] == "+61298765432"
    assert view["tags"] == ["mobile-app", "vip"]


def test_the_phone_region_reads_national_numbers(root: Path) -> None:
    write(root, "kiri.yaml", 'mobile_phone: "021 123 4567"\n')

    declared = load_profiles(root, phone_region="NZ")

    assert declared.profiles[0].profile.mobile_phone == "+64211234567"


def test_absent_fields_are_not_managed_and_null_clears(root: Path) -> None:
    write(root, "jane.yaml", "first_name: Jane\ncompany: null\n")

    view = load(root).profiles[0].flat_view()

    assert view == {"first_name": "Jane", "company": None}


def test_every_writable_field_is_accepted(root: Path) -> None:
    write(
        root,
        "full.yaml",
        """
        title: Dr
        first_name: Ada
        last_name: Lovelace
        email: ada@example.com
        mobile_phone: "+61400000001"
        secondary_phone: null
        birth_day: 10
        birth_month: 12
        birth_year: 1815
        gender: female
        company: Analytical Engines
        occupation: Mathematician
        currency: GBP
        joined_at: 2024-01-02 03:04:05
        avatar_url: https://example.com/ada.png
        joined_location_id: 3
        preferred_location_id: 4
        tags: [pioneer]
        identities: {shopify: "1001", pos: "A-7"}
        attributes:
          comms: {email_promo: true, sms_optout: null, email_verification: verified}
        custom_attributes:
          loyalty: {tier: gold, points: 120, since: {type: string, value: "2020"}}
        addresses:
          - {address_line_1: 1 George St, city: Sydney, state: NSW, postcode: "2000",
             country: AU, is_default: true}
        """,
    )

    view = load(root).profiles[0].flat_view()

    assert view["joined_at"] == "2024-01-02 03:04:05"
    assert view["identities.pos"] == "A-7"
    assert view["attributes.comms.email_verification"] == "verified"
    assert view["attributes.comms.sms_optout"] is None
    assert view["custom_attributes.loyalty.points"] == 120
    assert view["addresses"][0]["city"] == "Sydney"
    assert len(view) == 27


def test_only_yaml_and_template_files_are_read_in_path_order(root: Path) -> None:
    write(root, "b/two.yml", "first_name: Two\n")
    write(root, "a/one.yaml", "first_name: One\n")
    write(root, "c/three.yaml.j2", "first_name: Three\n")
    write(root, "c/four.yml.j2", "first_name: Four\n")
    write(root, "README.md", "# not a profile\n")
    write(root, "notes.json", "{}\n")
    write(root, ".hidden/secret.yaml", "first_name: Hidden\n")

    declared = load(root)

    assert sorted(p.key for p in declared.profiles) == ["four", "one", "three", "two"]
    assert declared.ignored == (
        "profiles.d/.hidden/",
        "profiles.d/README.md",
        "profiles.d/notes.json",
    )


def test_folder_defaults_apply_below_with_the_nearest_folder_and_the_profile_winning(
    root: Path,
) -> None:
    write(root, "_defaults.yaml", "currency: AUD\ntags: [customer]\n")
    write(
        root,
        "vip/_defaults.yaml",
        "tags: [customer, vip]\nattributes: {comms: {email_promo: true}}\n",
    )
    write(root, "vip/ann.yaml", "attributes: {comms: {sms_promo: false}}\n")
    write(root, "vip/bob.yaml", "tags: [vip]\n")
    write(root, "cat.yaml", "currency: NZD\n")

    by_key = load(root).by_key()

    assert by_key["ann"].flat_view() == {
        "currency": "AUD",
        "tags": ["customer", "vip"],
        "attributes.comms.email_promo": True,
        "attributes.comms.sms_promo": False,
    }
    assert by_key["bob"].view["tags"] == ["vip"]
    assert by_key["cat"].flat_view() == {"currency": "NZD", "tags": ["customer"]}


def test_tombstones_take_no_defaults_and_need_no_personal_data(root: Path) -> None:
    write(root, "_defaults.yaml", "tags: [customer]\n")
    write(root, "gone.yaml", "state: absent\n")
    write(root, "erased.yaml", "state: purged\nerasure: {reference: GDPR-2026-17}\n")

    by_key = load(root).by_key()

    assert by_key["gone"].is_tombstone and by_key["gone"].flat_view() == {}
    assert by_key["erased"].erasure_reference == "GDPR-2026-17"


def test_a_template_declares_many_profiles_from_variables(root: Path) -> None:
    write(
        root,
        "synthetic.yaml.j2",
        """
        profiles:
        {% for i in range(count | int) %}
          - key: synthetic-{{ '%04d' % i }}
            email: {{ prefix }}+{{ i }}@example.com
            tags: [synthetic]
        {% endfor %}
        """,
    )

    declared = load(root, variables={"count": "1000", "prefix": "qa"})

    assert len(declared.profiles) == 1000
    assert declared.by_key()["synthetic-0999"].profile.email == "qa+999@example.com"


def test_a_template_renders_nothing_when_asked_for_nothing(root: Path) -> None:
    write(root, "none.yaml.j2", "{% if count | int > 0 %}first_name: X{% endif %}\n")

    assert load(root, variables={"count": "0"}).profiles == ()


def test_template_variables_come_from_a_yaml_or_json_file(tmp_path: Path) -> None:
    (tmp_path / "vars.yaml").write_text("count: 3\nregion: AU\n")
    (tmp_path / "vars.json").write_text('{"count": 5}')
    (tmp_path / "list.yaml").write_text("- 1\n")

    assert read_variables(tmp_path / "vars.yaml") == {"count": 3, "region": "AU"}
    assert read_variables(tmp_path / "vars.json") == {"count": 5}
    with pytest.raises(ConfigError, match="must hold a mapping"):
        read_variables(tmp_path / "list.yaml")


def test_every_problem_of_the_tree_is_reported_at_once(root: Path) -> None:
    write(root, "a.yaml", "email: nope\nbirth_month: 13\n")
    write(root, "b.yaml", "emial: b@example.com\n")
    write(root, "c.yaml", "first_name: [\n")

    with pytest.raises(ProfileError) as raised:
        load(root)

    lines = [str(p) for p in raised.value.problems]
    assert lines[0].startswith("profiles.d/a.yaml:1: a: email:")
    assert lines[1].startswith("profiles.d/a.yaml:2: a: birth_month:")
    assert lines[2].startswith("profiles.d/b.yaml:1: b: emial: unknown field")
    assert lines[3].startswith("profiles.d/c.yaml:2: YAML syntax error")
    assert str(raised.value).endswith("4 problems found")


def test_problems_never_show_the_personal_data_they_are_about(root: Path) -> None:
    write(root, "a.yaml", "email: jane.doe@exa mple.com\n")

    with pytest.raises(ProfileError) as raised:
        load(root)

    assert "jane.doe" not in str(raised.value)


def test_the_digest_covers_file_bytes_defaults_and_variables(root: Path) -> None:
    write(root, "jane.yaml", "first_name: Jane\n")
    first = load(root).digest
    assert load(root).digest == first

    write(root, "_defaults.yaml", "tags: [a]\n")
    with_defaults = load(root).digest
    assert with_defaults != first

    write(root, "t.yaml.j2", "first_name: {{ name }}\n")
    one = load(root, variables={"name": "One"}).digest
    two = load(root, variables={"name": "Two"}).digest
    assert len({first, with_defaults, one, two}) == 4

    write(root, "jane.yaml", "first_name: Jane \n")  # the same profile, other bytes
    assert load(root, variables={"name": "One"}).digest != one


def test_the_cache_serves_unchanged_files_and_rereads_edited_ones(
    root: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    write(root, "jane.yaml", "email: jane@example.com\n")
    write(root, "sam.yaml", "email: sam@example.com\n")
    first = load(root, cache_dir=cache)
    assert first.cached == 0

    again = load(root, cache_dir=cache)
    assert again.cached == 2
    assert again.profiles == first.profiles
    first_model, again_model = first.profiles[0].profile, again.profiles[0].profile
    assert again_model.model_fields_set == first_model.model_fields_set

    write(root, "jane.yaml", "email: janet@example.com\n")
    edited = load(root, cache_dir=cache)
    assert edited.cached == 1
    assert edited.by_key()["jane"].profile.email == "janet@example.com"


def test_the_cache_tells_templates_apart_by_their_variables(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    write(root, "t.yaml.j2", "first_name: {{ name }}\n")

    assert (
        load(root, cache_dir=cache, variables={"name": "Ann"}).profiles[0].profile.first_name
        == "Ann"
    )
    bob = load(root, cache_dir=cache, variables={"name": "Bob"})

    assert bob.profiles[0].profile.first_name == "Bob" and bob.cached == 0


def test_a_damaged_cache_entry_is_ignored(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    write(root, "jane.yaml", "email: jane@example.com\n")
    load(root, cache_dir=cache)
    for entry in cache.iterdir():
        entry.write_text('[{"data": {"key": "jane", "email": 5}}]')

    declared = load(root, cache_dir=cache)

    assert declared.cached == 0 and declared.profiles[0].profile.email == "jane@example.com"


def test_invalid_files_are_not_cached(root: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    write(root, "jane.yaml", "email: nope\n")
    for _ in range(2):
        with pytest.raises(ProfileError):
            load(root, cache_dir=cache)
    assert not cache.exists() or not list(cache.iterdir())


def test_yaml_anchors_and_merges_are_allowed_in_moderation(root: Path) -> None:
    write(root, "team.yaml", "x-unused: &base {company: Example}\n")
    write(
        root,
        "pair.yaml",
        """
        profiles:
          - &ann {key: ann, company: Example, tags: [staff]}
          - <<: *ann
            key: bob
        """,
    )
    with pytest.raises(ProfileError, match="x-unused: unknown field"):
        load(root)
    (root / "team.yaml").unlink()

    by_key = load(root).by_key()

    assert by_key["bob"].view["company"] == "Example" and by_key["bob"].view["tags"] == ["staff"]


def test_a_missing_directory_is_one_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such directory"):
        load(tmp_path / "nowhere")


def test_the_guide_documents_every_field_of_the_format() -> None:
    page = (Path(__file__).parent.parent / "docs" / "profiles.md").read_text(encoding="utf-8")
    section = page.split("## How a tree is read", 1)[0]

    missing = [name for name in DesiredProfile.model_fields if f"`{name}`" not in section]
    assert missing == []


def test_the_reference_states_the_limits_the_code_enforces() -> None:
    reference = (Path(__file__).parent.parent / "docs" / "profiles.md").read_text()
    limits = Limits()
    assert f"{limits.max_file_bytes // (1024 * 1024)} MiB (`Limits.max_file_bytes`)" in reference
    assert f"{limits.max_depth} levels (`Limits.max_depth`)" in reference
    assert f"{limits.values_per_byte} values a byte" in reference
    assert f"{MAX_TEMPLATE_STEPS:,} steps" in reference


def test_values_yaml_1_1_and_1_2_read_alike_are_kept_and_every_other_is_refused(
    root: Path,
) -> None:
    write(
        root,
        "ann.yaml",
        """
        birth_day: 10
        custom_attributes:
          shop:
            hex: 0x1F
            ratio: 1.5
            sign: "="
            bare: =
            since: 2024-01-31
            code: "0755"
            answer: "NO"
        """,
    )
    write(
        root, "bob.yaml", "birth_day: 010\ntags: [on, 'off']\ncustom_attributes: {s: {x: .NaN}}\n"
    )

    with pytest.raises(ProfileError) as raised:
        load(root)
    assert [(p.file, p.line) for p in raised.value.problems] == [
        ("profiles.d/bob.yaml", 1),
        ("profiles.d/bob.yaml", 2),
        ("profiles.d/bob.yaml", 3),
    ]

    (root / "bob.yaml").unlink()
    view = load(root).profiles[0].flat_view()
    assert view["birth_day"] == 10
    assert view["custom_attributes.shop.hex"] == 31
    assert view["custom_attributes.shop.ratio"] == 1.5
    assert view["custom_attributes.shop.bare"] == "="
    assert view["custom_attributes.shop.since"] == "2024-01-31"
    assert view["custom_attributes.shop.code"] == "0755"
    assert view["custom_attributes.shop.answer"] == "NO"


def test_symbolic_links_are_read_inside_the_tree_and_errors_otherwise(
    root: Path, tmp_path: Path
) -> None:
    write(root, "real/ann.yaml", "first_name: Ann\n")
    outside = write(tmp_path, "elsewhere/bob.yaml", "first_name: Bob\n")
    (root / "ann-link.yaml").symlink_to("real/ann.yaml")  # inside: read (as its own key)
    (root / "bob.yaml").symlink_to(outside)
    (root / "gone.yaml").symlink_to("real/nobody.yaml")
    (root / "loop.yaml").symlink_to("loop.yaml")
    (root / "folder.yaml").symlink_to("real")
    (root / "notes.txt").symlink_to("nowhere.txt")  # not read: skipped, with why

    with pytest.raises(ProfileError) as raised:
        load(root)

    messages = {p.file: p.message for p in raised.value.problems}
    assert messages == {
        "profiles.d/bob.yaml": f"is a symbolic link to {outside.resolve()}, outside profiles.d/: "
        "copy the file in, or set follow_symlinks_outside = true in reconcile.toml",
        "profiles.d/gone.yaml": "is a symbolic link to real/nobody.yaml, which does not exist: "
        "fix or remove it",
        "profiles.d/loop.yaml": "is a symbolic link loop (-> loop.yaml): point it at a file",
        "profiles.d/folder.yaml": "is a symbolic link to a folder (real), which is not followed: "
        "move the folder into profiles.d/, or link its files one by one",
    }
    for name in ("gone", "loop", "folder"):
        (root / f"{name}.yaml").unlink()
    declared = load(root, links_outside=True)
    assert [p.key for p in declared.profiles] == ["ann", "ann-link", "bob"]
    assert declared.ignored == ("profiles.d/notes.txt",)
