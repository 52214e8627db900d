"""The red team's templates: each must end with a budget error in under 5 s and 256 MB.

Run as a script, it renders the templates named on the command line (all by default) in this
process, one after the other, and prints one JSON line per template: its error, the seconds it
took (wall and CPU) and the process's peak resident memory so far (VmHWM).
``tests/test_template_budgets.py`` runs it in a subprocess; with ``--each`` it measures each
template in a process of its own (the figures in docs/reliability.md).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

S = '{% set s = "x" * 1000000 %}'  # a 1,000,000-character text, the most one value may hold
K = '{% set k = "x" * 100000 %}'

RED_TEAM = {
    "nested loops over a 1,000,000-character string": S
    + "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
    "nested loops using loop": S + "{% for a in s %}{% for b in s %}{{ loop.index }}"
    "{% endfor %}{% endfor %}",
    "~ doubling 28 times": '{% set ns = namespace(s="x") %}{% for i in range(28) %}'
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
    "+ doubling": '{% set ns = namespace(s="x") %}{% for i in range(40) %}'
    "{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "* repetition": '{{ "x" * 1000000 * 1000 }}',
    "* of a list of long texts, printed": S + "{{ [s] * 1000 }}",
    "** growing": "{% set ns = namespace(n=10) %}{% for i in range(20) %}"
    "{% set ns.n = ns.n ** 200 %}{% endfor %}",
    "* growing numbers": "{% set ns = namespace(n=10**200) %}{% for i in range(40) %}"
    "{% set ns.n = ns.n * ns.n %}{% endfor %}",
    "% repeating one argument": S + '{{ "%(a)s%(a)s%(a)s" % {"a": s} }}',
    "% format width": '{{ "%999999999s" % "x" }}',
    "replace amplification (filter)": K + '{{ k | replace("x", k) }}',
    "replace amplification (method)": K + '{{ k.replace("x", k) }}',
    "join of a huge range": '{{ range(10**9) | join(",") }}',
    "join of a range with a long separator": S + "{{ range(100000) | join(s) }}",
    "join of long texts": S + "{{ ([s] * 1000) | join }}",
    "str.join of long texts": S + '{{ "".join([s] * 1000) }}',
    "recursion via macros": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "branching macros": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}"
    "{% endmacro %}{{ f(60) }}",
    "macro doubling its output": "{% macro d(n) %}{% if n %}{% set t = d(n - 1) %}{{ t }}{{ t }}"
    "{% else %}x{% endif %}{% endmacro %}{{ d(60) }}",
    "{% set %} accumulation in loops": S + '{% set ns = namespace(s="") %}'
    "{% for i in range(100000) %}{% set ns.s = ns.s ~ s %}{% endfor %}",
    "{% set %} block doubling": '{% set ns = namespace(s="x") %}{% for i in range(60) %}'
    "{% set t %}{{ ns.s }}{{ ns.s }}{% endset %}{% set ns.s = t %}{% endfor %}",
    "list growth by extend": "{% set l = [1] %}{% for i in range(100) %}"
    "{% set _ = l.extend(l) %}{% endfor %}",
    "list growth by +": "{% set ns = namespace(l=[1]) %}{% for i in range(100) %}"
    "{% set ns.l = ns.l + ns.l %}{% endfor %}",
    "list growth by append": "{% set l = [] %}{% for i in range(100000) %}"
    "{% for j in range(100000) %}{% set _ = l.append(j) %}{% endfor %}{% endfor %}",
    "dict growth": "{% set d = {} %}{% for i in range(100000) %}{% for j in range(100000) %}"
    "{% set _ = d.update({(i, j): i}) %}{% endfor %}{% endfor %}",
    "a filter on a long text in a loop": S + "{% for i in range(100000) %}"
    "{% set t = s | upper %}{% endfor %}",
    "membership in a long list in a loop": "{% set l = range(100000) | list %}"
    "{% for i in range(100000) %}{% if -1 in l %}{% endif %}{% endfor %}",
    "sorting a long list in a loop": "{% set l = range(100000) | list %}"
    "{% for i in range(100000) %}{% set _ = l | sort %}{% endfor %}",
    "sum of lists": "{{ (range(100000) | map('string') | map('list') | sum(start=[])) | length }}",
    "tojson of shared long texts": S + "{{ ([s] * 100) | tojson }}",
    "format filter repeating": S + '{{ "%(a)s%(a)s" | format(a=s) }}',
    "str.format repeating": S + '{{ "{0}{0}{0}".format(s) }}',
    "center": '{{ "x" | center(999999999) }}',
    "indent of many lines": '{% set l = "\\n" * 900000 %}{{ l | indent(900000) }}',
    "wordwrap with a long wrapstring": S + '{{ ("x " * 400000) | wordwrap(1, true, s) }}',
    "expandtabs": '{{ ("\\t" * 900000).expandtabs(900000) }}',
    "translate": '{{ "x".translate({120: "y"}) }}',
    "fake people in a loop": "{% for i in range(100000) %}{{ fake.person(i).email }}{% endfor %}",
    "bytes by to_bytes": "{{ (1).to_bytes(1000000000, 'big') }}",
    "urlize in a loop": '{% set s = "w " * 500000 %}{% for i in range(100000) %}'
    "{% set t = s | urlize %}{% endfor %}",
    "recursive loop": "{% set tree = [[[[1]]]] %}{% for n in tree recursive %}"
    "{% if n is iterable %}{{ loop(n) }}{{ loop(n) }}{{ loop([n, n]) }}{% endif %}{% endfor %}",
    "wordwrap in a loop": S + "{% for i in range(100000) %}{% set t = s | wordwrap(80) %}"
    "{% endfor %}",
}


def peak_memory() -> int:
    """This process's peak resident memory in bytes. Linux's VmHWM is this program's own:
    ``ru_maxrss`` survives exec, so it would count the memory of the process that started us
    (a test worker that has grown to hundreds of MB)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(names: list[str]) -> None:
    from reconcile.errors import ProfileError
    from reconcile.profiles.templates import render_profile_template

    for name in names:
        started, cpu = time.monotonic(), time.process_time()
        try:
            render_profile_template(RED_TEAM[name], {}, "red.yaml.j2")
            error = ""
        except ProfileError as exc:
            error = str(exc.problems[0])
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu
        peak = peak_memory()
        figures = {"seconds": seconds, "cpu": cpu, "peak": peak}
        print(json.dumps({"name": name, "error": error, **figures}))
        sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1:] == ["--each"]:
        for each in RED_TEAM:
            subprocess.run([sys.executable, __file__, each], check=True)
    else:
        measure(sys.argv[1:] or list(RED_TEAM))
