"""SQLAlchemy 2 (`postgresql+psycopg://`) against a `pgha server`: dialect initialisation, an
ORM model with a foreign key, insertmanyvalues with RETURNING, queries, updates and reflection.

Each test uses its own MetaData with uniquely named tables, against one server per module.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from fixtures.pgha_server import PghaServer


@pytest.fixture
def engine(pgha_server_module: PghaServer) -> Iterator[sa.Engine]:
    server = pgha_server_module
    url = f"postgresql+psycopg://{server.user}@{server.host}:{server.port}/{server.dbname}"
    eng = sa.create_engine(url, connect_args={"connect_timeout": 10})
    try:
        yield eng
    finally:
        eng.dispose()


def _models(suffix: str) -> tuple[type[Any], type[Any], type[Any]]:
    """A fresh declarative base with two related models named with `suffix`."""

    class Base(orm.DeclarativeBase):
        pass

    class Customer(Base):
        __tablename__ = f"sa_customer_{suffix}"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        name: orm.Mapped[str] = orm.mapped_column(sa.String(50), unique=True)
        vip: orm.Mapped[bool] = orm.mapped_column(default=False)
        orders: orm.Mapped[list[Order]] = orm.relationship(back_populates="customer")

    class Order(Base):
        __tablename__ = f"sa_order_{suffix}"
        id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
        customer_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey(Customer.id))
        amount: orm.Mapped[Decimal] = orm.mapped_column(sa.Numeric(10, 2))
        placed_at: orm.Mapped[dt.datetime] = orm.mapped_column(sa.DateTime())
        note: orm.Mapped[str | None] = orm.mapped_column(sa.String(200))
        customer: orm.Mapped[Customer] = orm.relationship(back_populates="orders")

    return Base, Customer, Order


@pytest.fixture
def models(engine: sa.Engine) -> Iterator[tuple[type[Any], type[Any], type[Any]]]:
    base, customer, order = _models(uuid.uuid4().hex[:8])
    base.metadata.create_all(engine)
    try:
        yield base, customer, order
    finally:
        base.metadata.drop_all(engine)


def _populate(engine: sa.Engine, customer: type[Any], order: type[Any]) -> None:
    day = dt.datetime(2024, 3, 1, 12, 0, 0)
    with orm.Session(engine) as session:
        ann = customer(name="ann", vip=True)
        bob = customer(name="bob")
        cy = customer(name="cy")
        session.add_all([ann, bob, cy])
        session.add_all(
            [
                order(customer=ann, amount=Decimal("10.50"), placed_at=day, note="first"),
                order(customer=ann, amount=Decimal("4.25"), placed_at=day + dt.timedelta(days=1)),
                order(customer=bob, amount=Decimal("99.99"), placed_at=day, note="big"),
            ]
        )
        session.commit()


def test_engine_connect_initialises_dialect(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.text("select 1 + 1")).scalar_one() == 2
        assert conn.dialect.server_version_info is not None
        assert conn.dialect.server_version_info[0] == 15
        assert conn.dialect.default_schema_name == "public"
        assert conn.execute(sa.text("select current_schema()")).scalar_one() == "public"
        assert conn.execute(sa.text("show standard_conforming_strings")).scalar_one() == "on"


def test_text_query_with_bound_parameters(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("select cast(:a as int) * 2 as doubled, :b as label"), {"a": 21, "b": "x"}
        ).one()
        assert row.doubled == 42
        assert row.label == "x"


def test_create_all_and_add_all_assigns_serial_ids(
    engine: sa.Engine, models: tuple[type[Any], type[Any], type[Any]]
) -> None:
    _, customer, order = models
    _populate(engine, customer, order)
    with orm.Session(engine) as session:
        customers = session.scalars(sa.select(customer).order_by(customer.id)).all()
        assert [(c.id, c.name, c.vip) for c in customers] == [
            (1, "ann", True),
            (2, "bob", False),
            (3, "cy", False),
        ]
        orders = session.scalars(sa.select(order).order_by(order.id)).all()
        assert [(o.id, o.customer_id, o.amount) for o in orders] == [
            (1, 1, Decimal("10.50")),
            (2, 1, Decimal("4.25")),
            (3, 2, Decimal("99.99")),
        ]
        assert orders[0].placed_at == dt.datetime(2024, 3, 1, 12, 0, 0)
        assert orders[1].note is None


def test_insertmanyvalues_returns_ids_in_order(
    engine: sa.Engine, models: tuple[type[Any], type[Any], type[Any]]
) -> None:
    _, customer, _ = models
    names = [f"c{i:02d}" for i in range(20)]
    with orm.Session(engine) as session:
        objs = [customer(name=n) for n in names]
        session.add_all(objs)
        session.flush()
        ids = [o.id for o in objs]
        session.commit()
    assert ids == list(range(1, 21))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(customer.__table__.c.id, customer.__table__.c.name).order_by("id")
        ).all()
    assert [tuple(r) for r in rows] == list(zip(ids, names, strict=True))


def test_query_filter_order_join(
    engine: sa.Engine, models: tuple[type[Any], type[Any], type[Any]]
) -> None:
    _, customer, order = models
    _populate(engine, customer, order)
    with orm.Session(engine) as session:
        stmt = (
            sa.select(customer.name, sa.func.count(order.id), sa.func.sum(order.amount))
            .join(order, order.customer_id == customer.id)
            .group_by(customer.name)
            .order_by(sa.func.sum(order.amount).desc())
        )
        assert [tuple(r) for r in session.execute(stmt)] == [
            ("bob", 1, Decimal("99.99")),
            ("ann", 2, Decimal("14.75")),
        ]
        stmt = (
            sa.select(order.note)
            .join(order.customer)
            .where(customer.vip.is_(True), order.amount > 5)
            .order_by(order.id)
        )
        assert session.scalars(stmt).all() == ["first"]
        outer = (
            sa.select(customer.name, order.id)
            .outerjoin(order)
            .where(order.id.is_(None))
            .order_by(customer.name)
        )
        assert [tuple(r) for r in session.execute(outer)] == [("cy", None)]
        ann = session.scalars(sa.select(customer).filter_by(name="ann")).one()
        assert sorted(o.amount for o in ann.orders) == [Decimal("4.25"), Decimal("10.50")]
        like = session.scalars(
            sa.select(customer.name).where(customer.name.like("%b%")).order_by(customer.name)
        )
        assert like.all() == ["bob"]


def test_update_and_delete_rowcounts(
    engine: sa.Engine, models: tuple[type[Any], type[Any], type[Any]]
) -> None:
    _, customer, order = models
    _populate(engine, customer, order)
    with orm.Session(engine) as session:
        result = session.execute(
            sa.update(order).where(order.amount < 50).values(note="small"),
            execution_options={"synchronize_session": False},
        )
        assert result.rowcount == 2
        bob = session.scalars(sa.select(customer).filter_by(name="bob")).one()
        bob.vip = True
        session.commit()
    with orm.Session(engine) as session:
        vips = session.scalars(sa.select(customer.name).where(customer.vip).order_by("name"))
        assert vips.all() == ["ann", "bob"]
        small = session.scalars(sa.select(sa.func.count()).where(order.note == "small"))
        assert small.one() == 2
        result = session.execute(sa.delete(order).where(order.customer_id == 1))
        assert result.rowcount == 2
        session.delete(session.get(customer, 3))
        session.commit()
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(order)).scalar_one() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(customer)).scalar_one() == 2


def test_orm_rollback_discards_changes(
    engine: sa.Engine, models: tuple[type[Any], type[Any], type[Any]]
) -> None:
    _, customer, order = models
    _populate(engine, customer, order)
    with orm.Session(engine) as session:
        session.add(customer(name="temp"))
        session.flush()
        session.rollback()
    with orm.Session(engine) as session, pytest.raises(sa.exc.IntegrityError) as exc_info:
        session.add(customer(name="ann"))
        session.commit()
    assert exc_info.value.orig is not None
    assert exc_info.value.orig.sqlstate == "23505"
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(customer)).scalar_one() == 3


def test_drop_all_removes_tables(engine: sa.Engine) -> None:
    base, customer, order = _models(uuid.uuid4().hex[:8])
    base.metadata.create_all(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(order)).scalar_one() == 0
    base.metadata.drop_all(engine)
    with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError) as exc_info:
        conn.execute(sa.select(sa.func.count()).select_from(customer))
    assert exc_info.value.orig is not None
    assert exc_info.value.orig.sqlstate == "42P01"


def test_reflection_table_names(
    engine: sa.Engine, models: tuple[type[Any], type[Any], type[Any]]
) -> None:
    _, customer, order = models
    names = sa.inspect(engine).get_table_names()
    assert customer.__tablename__ in names
    assert order.__tablename__ in names


def test_reflection_columns(
    engine: sa.Engine, models: tuple[type[Any], type[Any], type[Any]]
) -> None:
    _, _, order = models
    columns = {c["name"]: c for c in sa.inspect(engine).get_columns(order.__tablename__)}
    assert list(columns) == ["id", "customer_id", "amount", "placed_at", "note"]
    assert isinstance(columns["id"]["type"], sa.Integer)
    assert isinstance(columns["amount"]["type"], sa.Numeric)
    assert (columns["amount"]["type"].precision, columns["amount"]["type"].scale) == (10, 2)
    assert isinstance(columns["placed_at"]["type"], sa.DateTime)
    assert isinstance(columns["note"]["type"], sa.String)
    assert columns["note"]["type"].length == 200
    assert columns["id"]["nullable"] is False
    assert columns["note"]["nullable"] is True


UNNEST_IN_SELECT = "unnest()/generate_subscripts() in a select list: 0A000 (get_pk_constraint)"


def test_reflection_primary_key(
    engine: sa.Engine, models: tuple[type[Any], type[Any], type[Any]]
) -> None:
    _, _, order = models
    pk = sa.inspect(engine).get_pk_constraint(order.__tablename__)
    assert pk["constrained_columns"] == ["id"]


def test_set_returning_function_in_select_list(engine: sa.Engine) -> None:
    """The shape get_pk_constraint needs, on a plain array."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select unnest(array[3, 4]) as v")).all()
    assert [r.v for r in rows] == [3, 4]


def test_reflection_foreign_keys(
    engine: sa.Engine, models: tuple[type[Any], type[Any], type[Any]]
) -> None:
    _, customer, order = models
    inspector = sa.inspect(engine)
    fks = inspector.get_foreign_keys(order.__tablename__)
    assert [
        (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"]) for fk in fks
    ] == [(["customer_id"], customer.__tablename__, ["id"])]


def test_reflect_whole_table(
    engine: sa.Engine, models: tuple[type[Any], type[Any], type[Any]]
) -> None:
    _, customer, _ = models
    table = sa.Table(customer.__tablename__, sa.MetaData(), autoload_with=engine)
    assert [c.name for c in table.columns] == ["id", "name", "vip"]
    with engine.begin() as conn:
        conn.execute(table.insert().values(name="reflected", vip=True))
        assert conn.execute(sa.select(table.c.vip).where(table.c.name == "reflected")).scalar_one()
