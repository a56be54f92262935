"""Renderers: each turns the same Plan into one format; none of them computes a number."""
