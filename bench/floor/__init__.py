"""The benchmark's floor: a minimal Django project, see bench/README.md."""
