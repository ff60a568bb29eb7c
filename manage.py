#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    # Every entry point defaults to the same settings module; an explicit one wins.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
