"""The headless face: thin commands over the core. The entry point is cli.main:main."""
