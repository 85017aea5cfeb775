"""Issue 13, "What users of polished TUIs expect": Compare's copied/rejected bars, Review's
redundant unique index (skipped by choice, for real), and the identifier-case choice."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import make_sqlite, migrate_cli, pg_all, table_report
from test_tui_wizard import NO_SERVER, SIZE, settle, text_of
from textual.widgets import DataTable, Static
from tui_snapshot_app import make_app, to_compare
from tui_snapshot_app import settle as settle_fake

from sqlite2pg_tui.core.plan.mapping import Mapping
from sqlite2pg_tui.core.plan.propose import plan
from sqlite2pg_tui.core.plan.recase import recase
from sqlite2pg_tui.core.plan.redundant import redundant_indexes
from sqlite2pg_tui.core.source.inspection import inspect
from sqlite2pg_tui.tui.app import WizardApp
from sqlite2pg_tui.tui.screens.compare import CompareScreen
from sqlite2pg_tui.tui.screens.review import ReviewScreen

REDUNDANT = """
CREATE TABLE orders (id INTEGER NOT NULL, line INTEGER NOT NULL, qty INTEGER,
                     PRIMARY KEY (id, line));
CREATE UNIQUE INDEX orders_key ON orders (id, line);
CREATE UNIQUE INDEX orders_rev ON orders (line, id);
CREATE UNIQUE INDEX orders_part ON orders (id, line) WHERE qty > 0;
CREATE INDEX orders_plain ON orders (id, line);
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
INSERT INTO orders VALUES (1, 1, 2), (1, 2, 3), (2, 1, 1);
INSERT INTO notes (body) VALUES ('x');
"""


# --- 1. Compare: copied vs rejected per table ------------------------------------------

async def test_compare_shows_a_copied_vs_rejected_bar_per_table() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await to_compare(pilot)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        t = screen.query_one("#cmp-tables", DataTable)
        for tr in screen.report.tables:
            bar = t.get_cell(tr.source, "bar")
            styles = {str(span.style) for span in bar.spans}
            assert bar.plain.strip("█ ") == "", bar.plain
            # A table that lost rows shows yellow next to its green; a clean one only green.
            assert ("yellow" in styles) == bool(tr.rejected_rows), (tr.source, styles)
            assert ("green" in styles) == bool(tr.copied_rows), (tr.source, styles)
        assert any(tr.rejected_rows for tr in screen.report.tables)


# --- 2. a unique index that repeats the primary key ---------------------------------------

def test_only_an_exact_copy_of_the_primary_key_is_redundant(tmp_path: Path) -> None:
    ins = inspect(make_sqlite(tmp_path / "s.db", REDUNDANT))
    assert redundant_indexes(ins.schema.table("orders")) == ["orders_key"]
    assert redundant_indexes(ins.schema.table("notes")) == []


def test_skip_indexes_round_trips_and_is_omitted_when_empty(tmp_path: Path) -> None:
    ins = inspect(make_sqlite(tmp_path / "s.db", REDUNDANT))
    m = plan(ins.schema, ins.profiles)
    assert "skip_indexes =" not in m.to_toml()
    m.table("orders").skip_indexes = ["orders_key"]
    again = Mapping.load(m.save(tmp_path / "m.toml"))
    assert again.table("orders").skip_indexes == ["orders_key"]
    assert again.table("notes").skip_indexes == []


async def test_review_notes_the_redundant_index_and_i_skips_it_for_real(
        pg_dsn: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = make_sqlite(tmp_path / "s.db", REDUNDANT)
    app = WizardApp(str(src), pg_dsn, None, None, env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        assert screen.table_name == "orders"
        detail = text_of(screen.query_one("#column-detail", Static))
        assert "orders_key repeats the primary key: redundant · i: skip it" in detail
        assert "i Idx" in footer(app) and len(footer(app).rstrip()) <= SIZE[0]
        await pilot.press("down")
        await settle(pilot)
        assert screen.table_name == "notes"  # no such index: no key, no note
        assert "Idx" not in footer(app)
        assert "repeats the primary key" not in text_of(screen.query_one("#column-detail", Static))
        await pilot.press("i")  # does nothing here
        await pilot.press("up")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert app.state.mapping is not None
        assert app.state.mapping.table("orders").skip_indexes == ["orders_key"]
        assert "skipped · i: build it" in text_of(screen.query_one("#column-detail", Static))
        assert app.state.unsaved()
        app.state.mapping.save(tmp_path / "m.toml")
        await pilot.press("i")  # and back
        await settle(pilot)
        assert app.state.mapping.table("orders").skip_indexes == []

    # The saved choice is a real effect: the index is not built, and the report says why.
    res, report = migrate_cli(capsys, src, pg_dsn, tmp_path / "w", "--mapping", tmp_path / "m.toml")
    assert res.code == 0, res.err
    import psycopg2
    with psycopg2.connect(pg_dsn) as conn:
        built = {r[0] for r in pg_all(conn, "SELECT indexname FROM pg_indexes "
                                            "WHERE tablename = 'orders'")}
    assert not any("orders_key" in n for n in built), built
    assert any("orders_rev" in n for n in built), built
    notes = [n["note"] for n in report["notes"] if n["table"] == "orders"]
    assert any("orders_key skipped by choice" in n for n in notes), json.dumps(report["notes"])
    assert table_report(report, "orders")["target_rows"] == 3


def footer(app: WizardApp) -> str:
    from tui_snapshot_app import screen_text
    return screen_text(app).rstrip("\n").splitlines()[-1]


# --- 3. identifier case -----------------------------------------------------------------

CASES = """
CREATE TABLE "OrderItems" (id INTEGER PRIMARY KEY, "userID" TEXT, user_id TEXT, "Qty" INTEGER);
CREATE TABLE order_items (id INTEGER PRIMARY KEY);
INSERT INTO "OrderItems" ("userID", user_id, "Qty") VALUES ('a', 'b', 1);
"""


def test_recase_folds_every_name_uniquely_and_keeps_typed_names(tmp_path: Path) -> None:
    ins = inspect(make_sqlite(tmp_path / "s.db", CASES))
    m = plan(ins.schema, ins.profiles, "keep")
    m.table("OrderItems").column("Qty").target = "quantity"  # a person's choice
    recase(m, "snake")
    assert m.identifier_case == "snake"
    # Both tables fold to order_items: the second one made unique, as plan() does.
    assert [t.target for t in m.tables] == ["order_items", "order_items_2"]
    t = m.table("OrderItems")
    assert [c.target for c in t.columns] == ["id", "user_id", "user_id_2", "quantity"]
    recase(m, "keep")
    assert [t.target for t in m.tables] == ["OrderItems", "order_items"]
    assert [c.target for c in t.columns] == ["id", "userID", "user_id", "quantity"]
    # Planning with a case and re-casing to it give the same names.
    fresh = plan(ins.schema, ins.profiles, "lower")
    recase(m, "lower")
    assert [t.target for t in m.tables] == [t.target for t in fresh.tables]
    m.validate()


async def test_ctrl_l_on_connect_cycles_the_identifier_case(tmp_path: Path) -> None:
    src = make_sqlite(tmp_path / "s.db", CASES)
    app = WizardApp(str(src), NO_SERVER, None, None, env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        m = app.state.mapping
        assert m is not None and m.identifier_case == "lower"
        assert "^l Case" in footer(app) and len(footer(app).rstrip()) <= SIZE[0]
        check = text_of(app.screen.query_one("#check", Static))
        assert "names: lower case" in check
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert m.identifier_case == "keep" and m.tables[0].target == "OrderItems"
        assert "names: kept as they are" in text_of(app.screen.query_one("#check", Static))
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert m.identifier_case == "snake"
        assert m.table("OrderItems").column("userID").target == "user_id"
        assert "identifier_case = \"snake\"" in m.to_toml()
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert m.identifier_case == "lower"


async def test_no_case_key_before_the_file_is_read(tmp_path: Path) -> None:
    app = WizardApp(None, NO_SERVER, None, None, env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle_fake(pilot)
        assert app.state.mapping is None
        assert "Case" not in footer(app)


async def test_beside_a_suggestion_i_still_skips_and_the_footer_fits(
        pg_dsn: str, tmp_path: Path) -> None:
    src = make_sqlite(tmp_path / "s.db", """
        CREATE TABLE orders (id INTEGER NOT NULL, paid INTEGER, PRIMARY KEY (id));
        CREATE UNIQUE INDEX orders_id ON orders (id);
        INSERT INTO orders VALUES (1, 0), (2, 1);""")
    app = WizardApp(str(src), pg_dsn, None, None, env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("enter", "down")  # paid: a ◆ boolean suggestion
        await settle(pilot)
        line = footer(app)
        assert "a ◆" in line and "? Help" in line and "Idx" not in line, line
        await pilot.press("i")
        await settle(pilot)
        assert app.state.mapping is not None
        assert app.state.mapping.table("orders").skip_indexes == ["orders_id"]
        await pilot.press("up")  # id: nothing suggested, so the key shows
        await settle(pilot)
        assert "i Idx" in footer(app) and "? Help" in footer(app)


async def test_a_new_case_is_tested_again_and_kept_into_review(pg_dsn: str, tmp_path: Path) -> None:
    import psycopg2
    src = make_sqlite(tmp_path / "s.db", CASES)
    with psycopg2.connect(pg_dsn) as conn, conn.cursor() as cur:
        cur.execute('CREATE TABLE "OrderItems" (id bigint)')  # exists only under "keep"
    app = WizardApp(str(src), pg_dsn, None, None, env={})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.state.target is not None and app.state.target.existing_tables == []
        await pilot.press("ctrl+l")  # keep
        await settle(pilot)
        assert app.state.target is None  # asked under the old names: stale
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.state.target is not None
        assert app.state.target.existing_tables == ["OrderItems"]
        assert app.state.mapping is not None and app.state.mapping.identifier_case == "keep"
