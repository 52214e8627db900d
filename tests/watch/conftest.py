"""Fixtures of the watch tests; they are defined in ``world.py`` with the helpers they use."""

from tests.watch.world import agents as agents
from tests.watch.world import receiver as receiver
from tests.watch.world import repo as repo
from tests.watch.world import tenants as tenants
