"""``python -m migrate PATH...`` (same as ``hpcest migrate``)."""

from migrate.cli import migrate_command

if __name__ == "__main__":
    migrate_command(prog_name="python -m migrate")
