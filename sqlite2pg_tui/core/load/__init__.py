"""Moving rows: the copy engines (per-value and columnar), read-ahead, the reject file, and data-only loads into an existing schema.
"""
