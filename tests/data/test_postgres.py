"""Step 1 reads a real PostgreSQL server: `kind: sql` with a `postgresql+psycopg://` URL and
the password from `${PGPASS}` gives the same tables as the demo's files, and a wrong
password is one clear problem that names the source and never shows the password.

A throwaway cluster (initdb + pg_ctl in a temporary folder, on a free port; as the
`postgres` user when the tests run as root, since initdb refuses root) is started for this
module and removed after it. The server is Debian's `postgresql` package, which `make test`
installs; without it these tests fail instead of skipping."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from sop_lib.companies.demo import ERP_TABLES, demo_tables, write_tables
from sop_lib.core.params import RunParams, load_params
from sop_lib.data import DataError, load_sources, reading

ROOT = Path(__file__).resolve().parents[2]
CYCLE = "2026-11"
ADMIN_PASSWORD = "admin-Xq7vB2"
PLANNER_PASSWORD = "planner-K9wLr4tZ"  # the read-only role the params file reads with
WRONG_PASSWORD = "not-the-password-Hd83"
# the demo's file sources that the server holds too: its CSVs and its ERP (SQLite) tables
SERVER_TABLES = ("sales_history", "products", "pipeline", *ERP_TABLES)


def _initdb() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found and shutil.which("initdb"):
        found = [shutil.which("initdb")]
    if not found:
        pytest.fail(
            "no PostgreSQL server: initdb is not in /usr/lib/postgresql/*/bin (apt-get install postgresql; make test installs it)"
        )
    return Path(found[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(request) -> str:
    """A PostgreSQL cluster of our own; returns the URL prefix `host:port`. Stopped and removed after the module."""
    bindir = _initdb().parent
    as_user: dict = {}
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")  # the package's system user
        as_user = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    home = Path(tempfile.mkdtemp(prefix="sop-pg-"))
    if as_user:
        os.chown(home, as_user["user"], as_user["group"])
    request.addfinalizer(lambda: shutil.rmtree(home, ignore_errors=True))
    pwfile = home / "pwfile"
    pwfile.write_text(ADMIN_PASSWORD + "\n")
    if as_user:
        os.chown(pwfile, as_user["user"], as_user["group"])

    def pg(*args: str) -> None:
        done = subprocess.run(args, cwd=home, capture_output=True, text=True, timeout=60, **as_user)
        log = (home / "log").read_text()[-2000:] if (home / "log").exists() else ""
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}\n{log}"

    data = home / "data"
    pg(str(bindir / "initdb"), "-D", str(data), "-U", "sop_admin", f"--pwfile={pwfile}", "--auth=scram-sha-256",
       "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")  # fmt: skip
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={home} -c fsync=off"
    pg(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-o", options, "-w", "-t", "30", "start")
    request.addfinalizer(lambda: pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"))
    return f"127.0.0.1:{port}"


def _as_erp_stores_it(df: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The table as a database holds it: datetime columns as real `date` columns, no text as NULL
    (the demo's tables write "" where a CSV cell is empty, and a CSV reads an empty cell as missing)."""
    out, types = df.copy(), {}
    for col in out.select_dtypes(["object", "string"]).columns:
        out[col] = out[col].astype(object).where(out[col].notna() & (out[col].astype(str) != ""), None)
    for col in out.select_dtypes("datetime").columns:
        out[col] = pd.Series([None if pd.isna(v) else v.date() for v in out[col]], index=out.index, dtype=object)
        types[col] = sa.Date()
    return out, types


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return demo_tables(CYCLE)


@pytest.fixture(scope="module")
def demo(tables, tmp_path_factory) -> Path:
    return write_tables(tmp_path_factory.mktemp("pg_demo") / "demo", CYCLE, tables, "test_postgres")


@pytest.fixture(scope="module")
def erp(server, tables) -> str:
    """The demo's tables loaded into database `erp`, readable by role `planner`; returns the params' URL."""
    admin = sa.create_engine(f"postgresql+psycopg://sop_admin:{ADMIN_PASSWORD}@{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text("CREATE DATABASE erp"))
        con.execute(sa.text(f"CREATE ROLE planner LOGIN PASSWORD '{PLANNER_PASSWORD}'"))
    admin.dispose()
    engine = sa.create_engine(f"postgresql+psycopg://sop_admin:{ADMIN_PASSWORD}@{server}/erp")
    with engine.begin() as con:
        for name in SERVER_TABLES:
            df, types = _as_erp_stores_it(tables[name])
            df.to_sql(name, con, index=False, dtype=types)
        # a table the planner may write to, and a function that writes there: a read must leave no trace
        con.execute(sa.text("CREATE TABLE touched (n int); GRANT INSERT ON touched TO planner"))
        con.execute(
            sa.text(
                "CREATE FUNCTION suppliers_touching() RETURNS SETOF suppliers LANGUAGE plpgsql AS "
                "$$ BEGIN INSERT INTO touched VALUES (1); RETURN QUERY SELECT * FROM suppliers ORDER BY supplier_id; END $$"
            )
        )
        con.execute(sa.text("GRANT SELECT ON " + ", ".join(SERVER_TABLES) + " TO planner"))
        kinds = con.execute(
            sa.text(
                "SELECT data_type FROM information_schema.columns WHERE table_name = 'sales_history' AND column_name = 'month'"
            )
        ).scalar_one()
    engine.dispose()
    assert kinds == "date"
    return f"postgresql+psycopg://planner:${{PGPASS}}@{server}/erp"


def _params(demo: Path, folder: Path, url: str | None) -> RunParams:
    """The demo's run profile on ``demo``'s files; with ``url``, the server's tables instead of its CSVs and SQLite."""
    raw = yaml.safe_load((ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    raw["data"] |= {"folder": str(demo), "demo": False}
    if url is not None:
        for name in SERVER_TABLES:
            old = raw["sources"][name]
            where = {"query": old["query"]} if "query" in old else {"table": name}
            keep = {k: v for k, v in old.items() if k not in ("kind", "path", "table", "query", "date_format")}
            raw["sources"][name] = {"kind": "sql", "url": url, **where, **keep}
    path = folder / "run.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return load_params(path)


@pytest.fixture(scope="module")
def loaded(erp, demo, tmp_path_factory):
    files = load_sources(_params(demo, tmp_path_factory.mktemp("pg_files"), None))
    params = _params(demo, tmp_path_factory.mktemp("pg_server"), erp)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PGPASS", PLANNER_PASSWORD)
        server = load_sources(params)
    return files, server, params


def _same_missing(df: pd.DataFrame) -> pd.DataFrame:
    """A NULL arrives as None, an empty CSV cell as NaN: both are missing (pandas will stop equating them)."""
    text = df.select_dtypes("object").columns
    return df.assign(**{c: df[c].where(df[c].notna(), float("nan")) for c in text})


def test_server_tables_equal_the_files(loaded):
    files, server, params = loaded
    assert [str(p) for p in server.problems if p.severity == "block"] == []
    assert [str(p) for p in files.problems if p.severity == "block"] == []
    assert set(server.tables) == set(files.tables)
    for name in SERVER_TABLES:
        assert params.sources[name].url.startswith("postgresql+psycopg://planner:${PGPASS}@")
        assert len(server.tables[name]) > 0
        pd.testing.assert_frame_equal(_same_missing(server.tables[name]), files.tables[name], obj=name)
    for name in set(files.tables) - set(SERVER_TABLES):  # the Excel sheets, read from the same file
        pd.testing.assert_frame_equal(server.tables[name], files.tables[name], obj=name)
    assert pd.api.types.is_datetime64_any_dtype(server.tables["sales_history"]["month"])


def test_server_lineage_names_table_and_query_without_password(loaded):
    _, server, _ = loaded
    lineage = server.lineage.set_index("source")
    assert lineage.loc["open_orders", "detail"] == "table open_orders"
    assert lineage.loc["suppliers", "detail"] == "query SELECT * FROM suppliers ORDER BY supplier_id"
    assert lineage.loc["sales_history", "rows"] == len(server.tables["sales_history"])
    assert lineage.loc["inventory", "location"].startswith("postgresql+psycopg://***@127.0.0.1:")
    assert PLANNER_PASSWORD not in lineage.to_csv()


def test_inventory_freshness_from_its_date_column(loaded):
    files, server, _ = loaded
    fresh = server.freshness.set_index("source")
    assert fresh.loc["inventory", "fresh_by"] == "latest as_of"
    assert fresh.loc["inventory", "age_days"] == files.freshness.set_index("source").loc["inventory", "age_days"]


def test_a_query_is_rolled_back(erp, demo, tmp_path, monkeypatch):
    monkeypatch.setenv("PGPASS", PLANNER_PASSWORD)
    params = _params(demo, tmp_path, erp)
    spec = params.sources["suppliers"].model_copy(update={"query": "SELECT * FROM suppliers_touching()"})
    df = reading.read_source("suppliers", spec, params.data_folder)
    assert len(df) > 0
    engine = sa.create_engine(erp.replace("planner:${PGPASS}", f"sop_admin:{ADMIN_PASSWORD}"))
    with engine.connect() as con:
        assert con.execute(sa.text("SELECT count(*) FROM touched")).scalar_one() == 0
    engine.dispose()


def test_wrong_password_is_a_clear_problem_without_the_password(erp, demo, tmp_path, monkeypatch):
    monkeypatch.setenv("PGPASS", WRONG_PASSWORD)
    params = _params(demo, tmp_path, erp)
    with pytest.raises(DataError) as err:
        reading.read_source("open_orders", params.sources["open_orders"], params.data_folder)
    [problem] = err.value.problems
    msg = str(problem)
    assert msg.startswith("open_orders (postgresql+psycopg://***@127.0.0.1:"), msg
    assert "table 'open_orders'" in msg
    assert 'password authentication failed for user "planner"' in msg
    assert "expected a readable sql source" in msg
    assert WRONG_PASSWORD not in msg and PLANNER_PASSWORD not in msg
    # the whole step: every server source is one blocking problem naming it, the files still load
    loaded = load_sources(params)
    unreadable = {p.source for p in loaded.problems if p.check == "unreadable"}
    assert unreadable == set(SERVER_TABLES)
    assert all(WRONG_PASSWORD not in str(p) for p in loaded.problems)
    assert "targets" in loaded.tables


def test_unset_password_variable_names_it(erp, demo, tmp_path, monkeypatch):
    monkeypatch.delenv("PGPASS", raising=False)
    params = _params(demo, tmp_path, erp)
    with pytest.raises(DataError, match=r"environment variable\(s\) PGPASS not set"):
        reading.read_source("inventory", params.sources["inventory"], params.data_folder)


def test_a_password_with_url_characters_connects_and_stays_hidden(erp, demo, tmp_path, monkeypatch):
    odd = "p@ss:w/rd#1%x"  # each of these would break a URL if put in unquoted
    engine = sa.create_engine(erp.replace("planner:${PGPASS}", f"sop_admin:{ADMIN_PASSWORD}"))
    with engine.begin() as con:
        con.execute(sa.text("DROP ROLE IF EXISTS odd_planner"))
        con.execute(sa.text(f"CREATE ROLE odd_planner LOGIN PASSWORD '{odd}'"))
        con.execute(sa.text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO odd_planner"))
    engine.dispose()
    monkeypatch.setenv("PGPASS", odd)
    params = _params(demo, tmp_path, erp.replace("planner:", "odd_planner:"))
    assert len(reading.read_source("inventory", params.sources["inventory"], params.data_folder)) > 0
    monkeypatch.setenv("PGPASS", odd + "wrong")
    with pytest.raises(DataError) as err:
        reading.read_source("inventory", params.sources["inventory"], params.data_folder)
    assert odd not in str(err.value) and "p%40ss" not in str(err.value)
