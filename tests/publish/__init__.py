"""make test-publish (run.py): build, publish to a loopback pypiserver, install from it alone, call it."""
