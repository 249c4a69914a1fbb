"""Differential harness: the same v1 constructor calls on the real Azure ML SDK v1 and on hpcest.

- ``generator``: seeded config *specs* (plain JSON data) plus hand-written named cases.
- ``builders``: one spec -> object resolver shared by both sides (``$obj`` markers), and the
  normalised view of the v1-shaped objects both sides build.
- ``v1_runs``: "what v1 would run", derived from the recorded v1 view by the service's rules.
- ``record``: runs under the real SDK's interpreter and writes
  ``tests/data/v1_reference/estimators.json`` (regeneration command in its docstring).
- ``hpcest_side``: the only module that imports hpcest internals (compile_job, ClusterProfile).

Nothing here imports either SDK at import time except ``record`` (real SDK) and ``hpcest_side``.
"""
