"""A Django 5 project's life against one database, run by tests/integration/test_django.py.

    python run.py HOST PORT

makemigrations, then migrate twice (the second finds nothing to do), a model round trip with
bulk_create (Django 5.2 sends INSERT ... SELECT * FROM UNNEST(...)), a foreign key and a
join, and an IntegrityError whose text must carry PostgreSQL's DETAIL. Prints one line per
check; exits non-zero on the first failure.
"""

from __future__ import annotations

import sys
from decimal import Decimal

import django
from django.conf import settings

settings.configure(
    DATABASES={"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "postgres",
                           "USER": "postgres", "HOST": sys.argv[1], "PORT": sys.argv[2]}},
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "shop"],
    USE_TZ=True, DEFAULT_AUTO_FIELD="django.db.models.BigAutoField")
django.setup()

from django.core.management import call_command  # noqa: E402  (after setup)
from django.db import IntegrityError, connection, transaction  # noqa: E402
from shop.models import Customer, Order  # noqa: E402

call_command("makemigrations", "shop", verbosity=0)
call_command("migrate", verbosity=0)
call_command("migrate", verbosity=0)  # again: everything is applied already
print("migrate twice: ok")

first = Customer.objects.create(email="a@example.com", name="A")
Customer.objects.bulk_create([Customer(email=f"c{i}@example.com", name=f"C{i}")
                              for i in range(5)])
Order.objects.create(customer=first, total=Decimal("12.50"))
assert Customer.objects.count() == 6, Customer.objects.count()
order = Order.objects.select_related("customer").get(customer__email="a@example.com")
assert (order.customer.name, order.total) == ("A", Decimal("12.50")), order
print("round trip: ok")

try:
    with transaction.atomic():
        Customer.objects.create(email="a@example.com", name="again")
except IntegrityError as exc:
    text = str(exc)
    assert "Key (email)=(a@example.com) already exists." in text, text
    print("IntegrityError: ok")
else:
    raise AssertionError("a duplicate email was accepted")

with connection.cursor() as cursor:
    tables = connection.introspection.table_names(cursor)
assert {"shop_customer", "shop_order", "django_migrations"} <= set(tables), tables
print("introspection: ok")
