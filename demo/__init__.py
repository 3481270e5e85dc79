"""The demo data of `make run` (`manage.py seed_demo`)."""
