#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    # Every entry point defaults to the same settings module; an explicit one wins.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.local")
    from django.core.management import execute_from_command_line

    # runserver serves the web and keeps its database limits; other commands
    # (seeding a million posts, a checksum of all of them) may run for minutes.
    if sys.argv[1:2] != ["runserver"]:
        from project.database_limits import use_limits_of

        use_limits_of("command")
    execute_from_command_line(sys.argv)
