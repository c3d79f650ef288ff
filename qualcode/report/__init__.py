"""Rendering of results to files: markdown, html (jinja2, escaped), xlsx, csv, docx."""
