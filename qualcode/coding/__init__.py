"""Applying codes to segments: automatic (keywords and patterns) and, later, sheets and interactive.

Every mode returns a DataFrame in the codings contract (`qualcode.model.CODING_COLUMNS`).
"""
