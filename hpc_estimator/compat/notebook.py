"""A notebook's code cells as Python, with IPython's magics and ``!`` lines done as Jupyter does them.

Read with ``json`` (nbformat 4; no Jupyter needed). Each code cell becomes Python source in which
``!cmd``, ``x = !cmd`` and ``%magic args`` lines call :class:`Magics`; a cell magic (``%%writefile``,
``%%bash`` ...) on a cell's first line makes the whole cell one call. ``$name`` and ``{expr}`` in
those lines expand from the notebook's variables, as in IPython.

Handled as Jupyter would: ``%%writefile [-a] FILE`` (v1 notebooks write their train.py so),
``%%bash``/``%%sh``/``%%script sh``, ``%%capture``, ``%%time``, ``%run [-i] script.py ARGS``, ``%cd``,
``%env``, ``%pwd``, ``%time``, ``%pip``/``%conda`` (through the shell), ``!cmd``. Display-only
magics (``%matplotlib``, ``%load_ext``, ``%autoreload``, ``%%html``, ...) do nothing: there is no
display. Any other magic stops the run naming the cell and the magic.
"""

from __future__ import annotations

import io
import json
import os
import re
import runpy
import shlex
import subprocess
import sys
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrate.magics import (
    ASSIGN_LINE,
    ASSIGN_SYSTEM,
    HELP,
    LINE,
    SYSTEM,
    MagicLine,
    code_cells,
    is_cell_magic,
    is_python_notebook,
    kernel_language,
    magic_lines,
)

from ..errors import UserErrorException

MAGICS_NAME = "__hpcest_magics__"

# Line magics with nothing to do outside a Jupyter front end.
NO_OP_LINE_MAGICS = frozenset({
    "matplotlib", "load_ext", "reload_ext", "unload_ext", "autoreload", "aimport", "config", "precision",
    "pylab", "autosave", "qtconsole", "notebook", "xmode", "colors", "pprint", "pdb", "doctest_mode",
    "automagic", "autocall", "alias_magic", "reset", "clear", "history", "who", "whos", "who_ls", "lsmagic",
})
NO_OP_CELL_MAGICS = frozenset({"html", "HTML", "javascript", "js", "markdown", "latex", "svg", "script_html"})
SHELL_CELL_MAGICS = {"bash": "bash", "sh": "sh"}


class NotebookError(UserErrorException):
    """The notebook file cannot be read, or a cell uses something hpcest run cannot do."""


@dataclass(frozen=True)
class Cell:
    number: int  # 1-based among the notebook's code cells
    source: str


def read_notebook(path: str | os.PathLike[str]) -> list[Cell]:
    """The code cells of the notebook at ``path``, in order (markdown and raw cells are left out)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotebookError(f"cannot read notebook {path}: {exc}") from exc
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise NotebookError(f"{path} is not a Jupyter notebook (nbformat 4: no 'cells' list)")
    if not is_python_notebook(data):
        raise NotebookError(
            f"{path} is a {kernel_language(data)} notebook; hpcest run runs Python notebooks (and scripts)"
        )
    return [Cell(number, source) for number, (_position, source) in enumerate(code_cells(data), start=1)]


def select_cells(cells: list[Cell], spec: str | None) -> list[Cell]:
    """``--cells A-B`` (also ``A``, ``A-``, ``-B``, and comma-separated lists): 1-based code cells."""
    if not spec:
        return cells
    wanted: set[int] = set()
    last = len(cells)
    for part in spec.split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d*)\s*-\s*(\d*)|(\d+)", part)
        if not match:
            raise NotebookError(f"--cells {spec!r}: use A-B, A, A-, -B or a comma-separated list of those")
        if match.group(3):
            low = high = int(match.group(3))
        else:
            low = int(match.group(1) or 1)
            high = int(match.group(2) or last)
        if low < 1 or high > last or low > high:
            raise NotebookError(f"--cells {spec!r}: the notebook has code cells 1-{last}")
        wanted.update(range(low, high + 1))
    return [c for c in cells if c.number in wanted]


# -- cell -> Python ---------------------------------------------------------------------------

def transform_cell(source: str) -> str:
    """The cell as Python source (magics and ``!`` lines turned into calls of :class:`Magics`).

    Which lines are magics is ``migrate.magics``' answer, shared with ``hpcest migrate``: only a line
    that starts a logical line can be one (not a continuation inside brackets, strings or after ``\\``)."""
    lines = source.splitlines()
    if is_cell_magic(source):
        first = next(i for i, line in enumerate(lines) if line.strip())
        header = lines[first].strip()[2:]
        name, _, args = header.partition(" ")
        body = "\n".join(lines[first + 1:]) + ("\n" if lines[first + 1:] else "")
        return f"{MAGICS_NAME}.cell_magic({name!r}, {args.strip()!r}, {body!r}, globals())\n"
    for magic in magic_lines(source):
        lines[magic.index] = _call(magic)
    return "\n".join(lines) + "\n"


def _call(magic: MagicLine) -> str:
    indent, body = magic.indent, magic.body
    name, _, args = body.partition(" ")
    if magic.kind == SYSTEM:
        return f"{indent}{MAGICS_NAME}.system({body!r}, globals())"
    if magic.kind == LINE:
        return f"{indent}{MAGICS_NAME}.line_magic({name!r}, {args.strip()!r}, globals())"
    if magic.kind == ASSIGN_SYSTEM:
        return f"{indent}{magic.target} = {MAGICS_NAME}.getoutput({body!r}, globals())"
    if magic.kind == ASSIGN_LINE:
        return f"{indent}{magic.target} = {MAGICS_NAME}.line_magic({name!r}, {args.strip()!r}, globals())"
    if magic.kind == HELP:
        return f"{indent}pass  # {magic.text} (help: no display here)"
    return f"{indent}{magic.text}"  # a %% line below the first: not a cell magic there, as in IPython


# -- what the calls do ------------------------------------------------------------------------


def expand(text: str, namespace: dict[str, Any]) -> str:
    """IPython's variable expansion: ``{expr}`` and ``$name`` from the notebook; ``$$`` is ``$``.

    Unknown ``$NAME`` stay as they are (a shell variable such as ``$HOME``)."""

    def braces(match: re.Match[str]) -> str:
        try:
            return str(eval(match.group(1), namespace))
        except Exception:
            return match.group(0)

    def dollar(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return str(namespace[name]) if name in namespace else match.group(0)

    text = re.sub(r"(?<!\{)\{([^{}]+)\}(?!\})", braces, text)
    return re.sub(r"\$\$|\$([A-Za-z_][A-Za-z0-9_]*)", dollar, text)


class SList(list[str]):
    """What ``x = !cmd`` gives: the output lines (IPython's SList, with its common attributes)."""

    @property
    def s(self) -> str:
        return " ".join(self)

    @property
    def n(self) -> str:
        return "\n".join(self)

    @property
    def l(self) -> list[str]:  # noqa: E743 - IPython's name
        return list(self)


class Magics:
    """The calls a transformed cell makes; ``cell`` is set by the runner before each cell."""

    def __init__(self) -> None:
        self.cell: int | None = None

    def _where(self) -> str:
        return f"cell {self.cell}" if self.cell is not None else "the script"

    # -- shell --

    def system(self, command: str, namespace: dict[str, Any]) -> int:
        sys.stdout.flush()
        sys.stderr.flush()
        code = subprocess.call(expand(command, namespace), shell=True)
        namespace["_exit_code"] = code
        if code != 0:
            print(f"hpcest run: {self._where()}: `!{command.strip()}` exited with {code} (Jupyter goes on; so does "
                  "hpcest run)", file=sys.stderr, flush=True)
        return code

    def getoutput(self, command: str, namespace: dict[str, Any]) -> SList:
        result = subprocess.run(expand(command, namespace), shell=True, capture_output=True, text=True)
        namespace["_exit_code"] = result.returncode
        return SList((result.stdout + result.stderr).splitlines())

    # -- line magics --

    def line_magic(self, name: str, args: str, namespace: dict[str, Any]) -> Any:
        if name in NO_OP_LINE_MAGICS:
            return None
        args = expand(args, namespace)
        handler = getattr(self, f"_line_{name}", None)
        if handler is None:
            raise NotebookError(
                f"{self._where()}: %{name} is not something hpcest run can do outside Jupyter; remove the line or "
                "run its work as a `!` shell line"
            )
        return handler(args, namespace)

    def _line_pip(self, args: str, namespace: dict[str, Any]) -> int:
        return self.system(f"{shlex.quote(sys.executable)} -m pip {args}", {})

    def _line_conda(self, args: str, namespace: dict[str, Any]) -> int:
        return self.system(f"conda {args}", {})

    def _line_system(self, args: str, namespace: dict[str, Any]) -> SList:
        return self.getoutput(args, {})

    _line_sx = _line_system

    def _line_cd(self, args: str, namespace: dict[str, Any]) -> str:
        target = os.path.expanduser(args.strip().strip("'\"") or "~")
        os.chdir(target)
        print(os.getcwd())
        return os.getcwd()

    def _line_pwd(self, args: str, namespace: dict[str, Any]) -> str:
        return os.getcwd()

    def _line_env(self, args: str, namespace: dict[str, Any]) -> Any:
        args = args.strip()
        if not args:
            return dict(os.environ)
        if "=" in args:
            key, _, value = args.partition("=")
        elif " " in args:
            key, _, value = args.partition(" ")
        else:
            return os.environ.get(args)
        os.environ[key.strip()] = value.strip()
        print(f"env: {key.strip()}={value.strip()}")
        return None

    def _line_time(self, args: str, namespace: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            value = eval(compile(args, f"<{self._where()} %time>", "eval"), namespace)
        except SyntaxError:
            exec(compile(args, f"<{self._where()} %time>", "exec"), namespace)
            value = None
        print(f"Wall time: {time.perf_counter() - started:.3f} s")
        return value

    def _line_timeit(self, args: str, namespace: dict[str, Any]) -> None:
        code = re.sub(r"^(-\w+\s+\d+\s+)*", "", args)
        print(f"hpcest run: %timeit runs the statement once: {self._where()}", file=sys.stderr)
        self._line_time(code, namespace)

    def _line_run(self, args: str, namespace: dict[str, Any]) -> None:
        words = shlex.split(args)
        interactive = False
        while words and words[0].startswith("-"):
            flag = words.pop(0)
            if flag == "-i":
                interactive = True
            elif flag not in ("-t", "-e"):
                raise NotebookError(f"{self._where()}: %run {flag} is not supported by hpcest run (use -i or none)")
        if not words:
            raise NotebookError(f"{self._where()}: %run needs a script: %run script.py [ARGS]")
        script, script_args = words[0], words[1:]
        saved = sys.argv
        sys.argv = [script, *script_args]
        try:
            if interactive:
                result = runpy.run_path(script, init_globals=namespace, run_name="__main__")
            else:
                result = runpy.run_path(script, run_name="__main__")
        finally:
            sys.argv = saved
        # IPython's %run puts the script's names into the notebook afterwards.
        namespace.update({k: v for k, v in result.items() if not k.startswith("__")})

    # -- cell magics --

    def cell_magic(self, name: str, args: str, body: str, namespace: dict[str, Any]) -> Any:
        if name in NO_OP_CELL_MAGICS:
            return None
        args = expand(args, namespace)
        if name == "writefile":
            return self._writefile(args, body)
        if name in SHELL_CELL_MAGICS or name == "script":
            shell = SHELL_CELL_MAGICS.get(name) or (shlex.split(args) or ["sh"])[0]
            sys.stdout.flush()
            code = subprocess.run([shell], input=body.encode(), check=False).returncode
            if code != 0:
                print(f"hpcest run: {self._where()}: %%{name} exited with {code}", file=sys.stderr, flush=True)
            return None
        if name == "capture":
            target = args.split()[0] if args.split() and not args.split()[0].startswith("-") else None
            buffer = io.StringIO()
            with redirect_stdout(buffer):
                self._exec(body, namespace)
            if target:
                namespace[target] = buffer.getvalue()
            return None
        if name == "time":
            started = time.perf_counter()
            self._exec(body, namespace)
            print(f"Wall time: {time.perf_counter() - started:.3f} s")
            return None
        raise NotebookError(
            f"{self._where()}: %%{name} is not something hpcest run can do outside Jupyter; rewrite the cell as "
            "Python, or as %%bash"
        )

    def _exec(self, body: str, namespace: dict[str, Any]) -> None:
        exec(compile(transform_cell(body), f"<cell {self.cell}>", "exec"), namespace)

    def _writefile(self, args: str, body: str) -> None:
        words = shlex.split(args)
        append = bool(words) and words[0] in ("-a", "--append")
        if append:
            words = words[1:]
        if len(words) != 1:
            raise NotebookError(f"{self._where()}: %%writefile needs one file name: %%writefile [-a] FILE")
        path = Path(os.path.expanduser(words[0]))
        exists = path.exists()
        if append:
            print(f"Appending to {words[0]}")
        else:
            print(f"{'Overwriting' if exists else 'Writing'} {words[0]}")
        # As IPython: the directory must exist (v1 notebooks os.makedirs it in an earlier cell).
        with open(path, "a" if append else "w", encoding="utf-8") as f:
            f.write(body)
