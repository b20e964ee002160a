"""Periodic reports."""
