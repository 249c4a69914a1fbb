"""``python -m migrate PATH...`` (same as ``hpcest migrate``)."""

if __name__ == "__main__":
    from migrate import prestart

    # Before click and the command are imported: the workers' warm process loads libcst meanwhile.
    prestart.start()

    from migrate.cli import migrate_command
    from migrate.process import OWN_PROCESS, end_process

    OWN_PROCESS[0] = True
    end_process(lambda: migrate_command(prog_name="python -m migrate"))
