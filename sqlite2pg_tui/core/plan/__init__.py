"""Deciding what PostgreSQL gets: the declared type as the contract, the data's suggestions, names, and the Mapping (saved as versioned TOML) that every later stage reads.
"""
