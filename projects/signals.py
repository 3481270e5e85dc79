"""Receivers only: each calls one service."""
