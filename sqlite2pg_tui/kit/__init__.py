"""The production kit: what a PostgreSQL database needs after the migration (restricted app
role, credentials outside the code, pooling, backups, baseline migration)."""

from sqlite2pg_tui.kit.build import (
    DEFAULT_OUT_DIR,
    KitError,
    KitFile,
    KitResult,
    apply_kit,
    build_kit,
    check_overwrite,
    conflicts,
    write_kit,
)

__all__ = ["DEFAULT_OUT_DIR", "KitError", "KitFile", "KitResult", "apply_kit", "build_kit",
           "check_overwrite", "conflicts", "write_kit"]
