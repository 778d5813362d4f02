"""Alembic, as a project runs it: `alembic init`, `revision --autogenerate` from SQLAlchemy
models, `upgrade head`, a second autogenerate that must find nothing to do (every table,
column type, nullability, default, index, unique and foreign key reflected back as declared),
a model change migrated, `downgrade base` and `upgrade head` again; straight to a node and
through `pgha proxy`.

Alembic compares the models with what it reflects from pg_catalog and information_schema, so
a catalog row that is missing or differs from PostgreSQL's shows up here as a spurious
operation in the second revision.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from fixtures.pgha_server import PghaServer
from fixtures.proxy import ProxyProcess

MODELS = """
import sqlalchemy as sa

metadata = sa.MetaData()

author = sa.Table(
    "author", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False, unique=True),
    sa.Column("email", sa.String(200)),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("joined", sa.DateTime, nullable=False, server_default=sa.func.now()),
)

book = sa.Table(
    "book", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("author.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("price", sa.Numeric(10, 2)),
    sa.Column("published", sa.Date),
    sa.Column("pages", sa.SmallInteger, server_default="0"),
    sa.Index("ix_book_title", "title"),
    sa.UniqueConstraint("author_id", "title", name="uq_book_author_title"),
)
"""

# The change a later revision makes: a new column and a new index.
MODELS_CHANGED = MODELS.replace(
    '    sa.Index("ix_book_title", "title"),\n',
    '    sa.Column("isbn", sa.String(13)),\n'
    '    sa.Index("ix_book_title", "title"),\n'
    '    sa.Index("ix_book_isbn", "isbn", unique=True),\n')

ENV = """
import runpy
from pathlib import Path

from alembic import context
from sqlalchemy import create_engine

metadata = runpy.run_path(str(Path(__file__).with_name("models.py")))["metadata"]
config = context.config

with create_engine(config.get_main_option("sqlalchemy.url")).connect() as connection:
    context.configure(connection=connection, target_metadata=metadata,
                      compare_type=True, compare_server_default=True)
    with context.begin_transaction():
        context.run_migrations()
"""


def _project(root: Path, url: str) -> Config:
    cfg = Config(str(root / "alembic.ini"))
    command.init(cfg, str(root / "migrations"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url)
    (root / "migrations" / "env.py").write_text(ENV)
    (root / "migrations" / "models.py").write_text(MODELS)
    return cfg


def _upgrade_ops(cfg: Config, message: str) -> str:
    """Autogenerate a revision and return the body of its upgrade()."""
    script = command.revision(cfg, message=message, autogenerate=True)
    assert script is not None and not isinstance(script, list)
    text = Path(script.path).read_text()
    body = text.split("def upgrade()", 1)[1].split("def downgrade()", 1)[0]
    return textwrap.dedent(body)


def _run_migrations(root: Path, url: str) -> None:
    cfg = _project(root, url)
    engine = sa.create_engine(url)
    try:
        first = _upgrade_ops(cfg, "initial")
        assert "op.create_table('author'" in first and "op.create_table('book'" in first
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) == {"alembic_version", "author",
                                                               "book"}
        # Nothing changed: the database reflects back exactly what the models declare.
        second = _upgrade_ops(cfg, "nothing")
        assert "pass" in second and "op." not in second, second
        command.upgrade(cfg, "head")

        (root / "migrations" / "models.py").write_text(MODELS_CHANGED)
        third = _upgrade_ops(cfg, "isbn")
        assert "op.add_column('book', sa.Column('isbn'" in third, third
        assert "op.create_index('ix_book_isbn', 'book', ['isbn'], unique=True)" in third, third
        assert "drop" not in third, third
        command.upgrade(cfg, "head")
        with engine.begin() as conn:
            conn.execute(sa.text("insert into author (name) values ('ann')"))
            conn.execute(sa.text("insert into book (author_id, title, isbn) "
                                 "values (1, 'Dune', '9780441013593')"))
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                conn.execute(sa.text("insert into book (author_id, title, isbn) "
                                     "values (1, 'Emma', '9780441013593')"))
        fourth = _upgrade_ops(cfg, "nothing again")
        assert "pass" in fourth and "op." not in fourth, fourth
        command.upgrade(cfg, "head")

        # All the way down and up again: the migrations run twice on the same database.
        command.downgrade(cfg, "base")
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == ["alembic_version"]
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("book")}
            assert "isbn" in columns
            version = conn.execute(sa.text("select version_num from alembic_version")).scalar()
        assert version is not None
    finally:
        engine.dispose()


def test_alembic_straight_to_a_node(pgha_server: PghaServer, tmp_path: Path) -> None:
    _run_migrations(tmp_path, _url(pgha_server.host, pgha_server.port, "postgres"))


def test_alembic_through_the_proxy(pgha_server: PghaServer, tmp_path: Path) -> None:
    proxy = ProxyProcess(tmp_path / "proxy", [pgha_server])
    try:
        _run_migrations(tmp_path, _url("127.0.0.1", proxy.port, "postgres"))
    finally:
        proxy.stop()


def test_alembic_against_postgres(postgres_db: str, tmp_path: Path) -> None:
    """The same steps against PostgreSQL 15: the expectations above are PostgreSQL's."""
    params = dict(item.split("=", 1) for item in postgres_db.split())
    _run_migrations(tmp_path, _url(params["host"], int(params["port"]), params["dbname"],
                                   params["user"]))


def _url(host: str, port: int, dbname: str, user: str = "postgres") -> str:
    return f"postgresql+psycopg://{user}@{host}:{port}/{dbname}"
