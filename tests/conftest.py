"""Shared test helpers live beside this file (``casefile``); pytest puts this folder on the path."""
