"""Warnings pointed at the caller's own line (v1's deprecation notices and advice).

Azure ML v1 logged a warning for every deprecated class and parameter. We raise the same
notices as ``DeprecationWarning`` so existing warning filters keep working, and attribute them to
the first frame outside this package: that is the line the user has to change.
"""

from __future__ import annotations

import os
import sys
import types
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_at_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """Emit ``message`` blamed on the first calling line outside hpc_estimator."""
    level = 1
    frame: types.FrameType | None = sys._getframe(0)
    # Walk out of the package so the warning names user code, however deep the call chain is.
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def warn_deprecated(message: str) -> None:
    """Emit ``message`` as a DeprecationWarning blamed on the user's calling line."""
    warn_at_caller(message, DeprecationWarning)
