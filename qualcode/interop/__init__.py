"""Exchange with other qualitative-analysis programs (REFI-QDA: `.qdc` codebooks, `.qdpx` projects).

- `refi_export`: `codebook_to_qdc`, `study_to_qdpx` (`QdpxExport` streams it), `export_qdc`, `export_qdpx`;
- `refi_import`: `read_qdc`, `read_qdpx`, `import_qdc`, `import_qdpx`;
- `refi_common`: namespaces, stable GUIDs, safe zip and XML reading shared by both.
"""
