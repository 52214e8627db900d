"""Templates, folder defaults and tombstones change what ``plan`` proposes, through the CLI."""

from __future__ import annotations

import json

import jsonschema
import yaml

from tests.conftest import Project

SYNTHETIC = """
profiles:
{% for i in range(count | int) %}
  - key: synthetic-{{ i }}
    email: synthetic+{{ i }}@example.com
    tags: [synthetic]
{% endfor %}
"""


def test_a_template_declares_as_many_profiles_as_its_variables_ask(project: Project) -> None:
    project.write("synthetic.yaml.j2", SYNTHETIC)

    first = project.cli("plan", "--var", "count=3")
    assert first.exit_code == 0, first.output
    assert "3 to create" in first.stdout
    assert project.cli("apply", "--auto-approve", "--var", "count=3").exit_code == 0

    more = project.cli("plan", "--var", "count=5")
    assert more.exit_code == 0, more.output
    assert "2 to create" in more.stdout and "+ create synthetic-4" in more.stdout


def test_template_variables_can_come_from_a_file(project: Project) -> None:
    project.write("synthetic.yaml.j2", SYNTHETIC)
    (project.root / "vars.json").write_text(json.dumps({"count": 2}))

    result = project.cli("plan", "--vars", str(project.root / "vars.json"))

    assert result.exit_code == 0, result.output
    assert "2 to create" in result.stdout


def test_a_saved_plan_is_refused_when_applied_with_other_variables(project: Project) -> None:
    project.write("synthetic.yaml.j2", SYNTHETIC)
    plan_file = project.plans / "p.json"
    assert project.cli("plan", "--var", "count=2", "-o", str(plan_file)).exit_code == 0

    refused = project.cli("apply", str(plan_file), "--var", "count=3")
    assert refused.exit_code == 1
    assert refused.stderr == "error: the plan was made with --var count=2, not 3\n"
    missing = project.cli("apply", str(plan_file), "--var", "count=2", "--var", "offset=5")
    assert "the plan was made with no --var offset, not offset=5" in missing.stderr

    applied = project.cli("apply", str(plan_file))  # the plan holds its variables
    assert applied.exit_code == 0, applied.output


def test_a_missing_template_variable_is_reported_at_the_template_line(project: Project) -> None:
    project.write("synthetic.yaml.j2", SYNTHETIC)

    result = project.cli("plan")

    assert result.exit_code == 1
    assert "profiles.d/synthetic.yaml.j2:2: template error: 'count' is undefined" in result.stderr


def test_a_badly_written_var_option_is_an_error(project: Project) -> None:
    result = project.cli("validate", "--var", "count")

    assert result.exit_code == 1
    assert "write NAME=VALUE" in result.stderr


def test_folder_defaults_change_the_profiles_below_them(project: Project) -> None:
    project.write("vip/ann.yaml", "first_name: Ann\nemail: ann@example.com\n")
    project.write("bob.yaml", "first_name: Bob\nemail: bob@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0

    project.write("vip/_defaults.yaml", "tags: [vip]\ncurrency: AUD\n")
    result = project.cli("plan")

    assert result.exit_code == 0, result.output
    assert "1 to update" in result.stdout
    assert "~ update ann" in result.stdout and 'tags: [] → ["vip"]' in result.stdout
    assert "bob" not in result.stdout


def test_tombstones_plan_a_delete_and_a_purge(project: Project) -> None:
    project.write("ann.yaml", "first_name: Ann\nemail: ann@example.com\n")
    project.write("bob.yaml", "first_name: Bob\nemail: bob@example.com\n")
    assert project.cli("apply", "--auto-approve").exit_code == 0

    project.write("ann.yaml", "state: absent\n")
    project.write("bob.yaml", "state: purged\nerasure: {reference: GDPR-2026-0042}\n")
    result = project.cli("plan", "--allow-delete", "--allow-purge")

    assert result.exit_code == 0, result.output
    assert "- delete ann" in result.stdout
    assert "! purge bob" in result.stdout


def test_validate_lists_ignored_files_when_verbose(project: Project) -> None:
    project.write("ann.yaml", "first_name: Ann\n")
    project.write("notes.txt", "not read\n")

    result = project.cli("validate", "--verbose")

    assert result.exit_code == 0, result.output
    assert "ignored: profiles.d/notes.txt" in result.stderr
    assert "1 profiles valid" in result.stderr


def test_validate_reads_unchanged_files_from_the_cache(project: Project) -> None:
    project.write("ann.yaml", "first_name: Ann\n")
    assert project.cli("validate").exit_code == 0

    again = project.cli("validate", "--verbose")

    assert "1 files read, 1 from the cache" in again.stderr
    assert list((project.root / ".reconcile" / "cache").glob("*.json"))


def test_schema_prints_a_json_schema_of_the_file_format(project: Project) -> None:
    result = project.cli("schema")

    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    profile = schema["$defs"]["Profile"]
    assert "email" in profile["properties"] and profile["additionalProperties"] is False
    assert "key" not in profile["required"]
    assert "sms_promo" in schema["$defs"]["Comms"]["properties"]


def test_the_schema_accepts_the_example_files_and_flags_a_typo(example_project: Project) -> None:
    schema = json.loads(example_project.cli("schema").stdout)
    validator = jsonschema.Draft202012Validator(schema)
    plain = [p for p in sorted(example_project.profiles.rglob("*.y*ml")) if p.suffix != ".j2"]
    assert len(plain) >= 6

    for path in plain:
        document = yaml.safe_load(path.read_text())
        assert list(validator.iter_errors(document)) == [], path

    assert list(validator.iter_errors({"first_name": "Ann", "emial": "a@example.com"}))
    assert list(validator.iter_errors({"attributes": {"comms": {"sms_promo": "maybe"}}}))


def test_null_clears_a_field_and_the_tree_converges(project: Project) -> None:
    project.write(
        "ann.yaml", "first_name: Ann\nemail: ann@example.com\ncompany: Acme\ntags: [vip]\n"
    )
    assert project.cli("apply", "--auto-approve").exit_code == 0

    project.write(
        "ann.yaml", "first_name: Ann\nemail: ann@example.com\ncompany: null\ntags: null\n"
    )
    cleared = project.cli("apply", "--auto-approve")
    assert cleared.exit_code == 0, cleared.output
    assert "company: Acme → (none)" in cleared.stdout and 'tags: ["vip"] → []' in cleared.stdout

    again = project.cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout


def test_a_null_custom_attribute_is_removed_from_the_tenant(project: Project) -> None:
    project.write(
        "ann.yaml",
        "email: ann@example.com\ncustom_attributes:\n  loyalty: {tier: gold, since: 2019}\n",
    )
    assert project.cli("apply", "--auto-approve").exit_code == 0

    project.write(
        "ann.yaml",
        "email: ann@example.com\ncustom_attributes:\n  loyalty: {tier: null, since: 2019}\n",
    )
    removed = project.cli("apply", "--auto-approve")
    assert removed.exit_code == 0, removed.output
    assert "custom_attributes.loyalty.tier: gold → (none)" in removed.stdout
    assert "loyalty.since" not in removed.stdout

    again = project.cli("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout


def test_declaring_the_owner_identity_is_an_error(project: Project) -> None:
    project.write("ann.yaml", "email: ann@example.com\nidentities:\n  reconcile: bob\n")
    result = project.cli("validate")
    assert result.exit_code == 1
    assert (
        "profiles.d/ann.yaml:3: ann: identities.reconcile: the handle 'reconcile' is "
        "reconcile's owner identity"
    ) in result.stderr


def test_validate_warns_when_one_tag_is_spelt_two_ways(project: Project) -> None:
    project.write("ann.yaml", "first_name: Ann\ntags: [VIP, mobile app]\n")
    project.write("bob.yaml", "first_name: Bob\ntags:\n  - newsletter\n  - vip\n")
    project.write("cat.yaml", "first_name: Cat\ntags: [mobile-app, VIP]\n")
    project.write("dan.yaml", "first_name: Dan\ntags: [vip, newsletter]\n")

    result = project.cli("validate")

    assert result.exit_code == 0, result.output  # a warning, not an error
    assert result.stderr.splitlines() == [
        "warning: profiles.d/bob.yaml:4: bob: tags.1: 'vip' is also spelt 'VIP' "
        "(profiles.d/ann.yaml:2); Omneo keeps case, so these are two tags: pick one spelling",
        "warning: profiles.d/cat.yaml:2: cat: tags.0: 'mobile-app' is also spelt 'mobile app' "
        "(profiles.d/ann.yaml:2); Omneo turns spaces into hyphens, so these are one tag: pick "
        "one spelling",
        "4 profiles valid",
    ]
    assert project.cli("validate").stderr == result.stderr  # the same from the parse cache


def test_a_dangling_link_stops_the_plan_instead_of_deleting_its_profile(project: Project) -> None:
    project.write(".store/ann.yaml", "first_name: Ann\nemail: ann@example.com\n")
    (project.profiles / "ann.yaml").symlink_to(".store/ann.yaml")  # inside the tree: read
    outside = project.root / "outside" / "bob.yaml"
    outside.parent.mkdir()
    outside.write_text("first_name: Bob\nemail: bob@example.com\n")
    (project.profiles / "bob.yaml").symlink_to(outside)
    settings = project.root / "reconcile.toml"
    settings.write_text("follow_symlinks_outside = true\n")
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    settings.unlink()
    (project.profiles / ".store" / "ann.yaml").unlink()

    planned = project.cli("plan", "--allow-delete")

    assert planned.exit_code == 1
    assert planned.stderr.splitlines()[:2] == [
        "error: profiles.d/ann.yaml: is a symbolic link to .store/ann.yaml, which does not "
        "exist: fix or remove it",
        f"profiles.d/bob.yaml: is a symbolic link to {outside}, outside profiles.d/: copy the "
        "file in, or set follow_symlinks_outside = true in reconcile.toml",
    ]
    assert "delete" not in planned.stdout


def test_validate_verbose_says_why_each_file_is_skipped(project: Project) -> None:
    project.write("ann.yaml", "first_name: Ann\n")
    project.write("notes.txt", "not read\n")
    project.write(".secret.yaml", "first_name: Hidden\n")
    project.write(".git/config", "x\n")
    (project.profiles / "readme.md").symlink_to("nowhere.md")

    result = project.cli("validate", "--verbose")

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:4] == [
        "ignored: profiles.d/.git/ (a hidden folder: nothing in it is read)",
        "ignored: profiles.d/.secret.yaml (a hidden file)",
        "ignored: profiles.d/notes.txt (not .yaml, .yml, .yaml.j2 or .yml.j2)",
        "ignored: profiles.d/readme.md (is a symbolic link to nowhere.md, which does not exist: "
        "fix or remove it)",
    ]
