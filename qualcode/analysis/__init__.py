"""Analysis of a coded study: Auerbach & Silverstein hierarchy counts, saturation (Guest, Namey &
Chen 2020), Table 1 demographics, code x attribute crosstabs and code co-occurrence.

Each report's core function returns a result dataclass holding pandas DataFrames (`tables()`) and a
JSON-ready `to_dict()`, so every renderer (terminal, markdown, csv/xlsx, html, docx) takes the same
object. The one join of codings + segments + roster lives in `qualcode.analysis.data`.
"""
