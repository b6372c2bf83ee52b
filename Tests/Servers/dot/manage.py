#!/usr/bin/env python3
"""Django management entry point for the oauthprobe DOT fixture.

The mode is chosen by OAUTHPROBE_DOT_MODE=hardened|permissive (see dotserver/settings.py).
"""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dotserver.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
