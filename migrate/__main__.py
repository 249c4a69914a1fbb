"""``python -m migrate PATH...`` (same as ``hpcest migrate``)."""

if __name__ == "__main__":
    from migrate import prestart

    # Before click and the command are imported: the workers' warm process loads libcst meanwhile.
    prestart.start()

    from migrate.cli import migrate_command

    migrate_command(prog_name="python -m migrate")
