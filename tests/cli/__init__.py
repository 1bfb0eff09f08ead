"""Tests of the ``threecx-xapi`` command line: every operation in process, and real subprocess runs."""
