"""The job's first step: turn the staged snapshot into the run's own writable copy.

Staging builds ``src/`` as hard links into the shared content store (one metadata operation per
file, so submission is fast on any filesystem) and leaves ``src-linked`` beside it. Before any of
the user's code runs (prologue, image fetch, ranks), the job copies ``src/`` once with ``cp -Rp``
(one process; each file gets its own inode, a reflink where the filesystem has them) and makes
it writable, as v1's working directory was.
From then on nothing the job does reaches the store or another run.

Safe to run again after a requeue or a kill at any point: the marker goes last, and a job stopped
between the two renames finds the linked tree under ``src.linked``.
"""

from __future__ import annotations

MARKER = "src-linked"

PRIVATE_COPY_SH = """\
if [ -e src-linked ]; then
  [ -d src ] || mv -f src.linked src  # an earlier attempt stopped between the two renames below
  rm -rf src.private
  # A reflink shares the blocks until the job writes (btrfs, XFS); GNU cp, as on every Linux cluster.
  hpcest_reflink=
  cp --reflink=auto /dev/null src-linked.probe 2>/dev/null && hpcest_reflink=--reflink=auto
  rm -f src-linked.probe
  if ! { cp -Rp $hpcest_reflink src src.private && chmod -R u+w src.private; }; then
    echo "hpcest: cannot copy the snapshot into $PWD/src.private (disk full or over quota?)" >&2
    rm -rf src.private
    exit 1
  fi
  rm -rf src.linked && mv src src.linked && mv src.private src && rm -f src-linked && rm -rf src.linked
fi
"""
