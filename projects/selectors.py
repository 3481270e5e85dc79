"""Reads for project pages."""
