"""Lorebase: a self-hosted knowledge-base server that speaks the Document360 Customer API."""

__version__ = "0.1.0"
