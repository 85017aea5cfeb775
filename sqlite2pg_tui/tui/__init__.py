"""The Textual wizard: one screen per stage a person decides in, over the same core as the CLI."""
