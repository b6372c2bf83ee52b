#!/usr/bin/env python3
"""Django management entry point for the oauthprobe DOT fixture.

The mode is chosen by OAUTHPROBE_DOT_MODE=hardened|permissive|mutants (see dotserver/settings.py);
the mutants mode has its own settings module, mutants.settings.
"""
import os
import sys


def main():
    mutants = os.environ.get("OAUTHPROBE_DOT_MODE") == "mutants"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutants.settings" if mutants else "dotserver.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
