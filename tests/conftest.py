"""Shared fixtures. The environment (real PostgreSQL and Redis) is set up in tests/environment.py."""

from types import SimpleNamespace

import pytest
from django.db.backends.signals import connection_created

from stores.roles import Role


def _allow_the_test_flush(sender, connection, **kwargs):
    """Django empties every table with TRUNCATE between transactional tests; the audit tables
    refuse TRUNCATE unless the session says it is the test suite's flush (audit migration 0004)."""
    with connection.cursor() as cursor:
        cursor.execute("SET kaipiao.test_flush = 'on'")


connection_created.connect(_allow_the_test_flush, dispatch_uid="kaipiao-test-flush")


@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_teardown(django_db_setup, django_db_blocker):
    """Connections left open by other threads (live servers, race tests, the exchange log's own
    connection) must be gone before the test database is dropped, or PostgreSQL refuses it:
    "being accessed by other users"."""
    yield
    from django.db import connection, connections

    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                           " WHERE datname = current_database() AND pid <> pg_backend_pid()")
        connections.close_all()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test, put the official tax-code table back.

    Such a test ends with a flush that empties every table, rows loaded by data migrations
    included, and invoice validation reads the codes from the database (they are kept current
    from the platform). Reloading here, after the flush and outside any test transaction, keeps
    the table committed for every later test.
    """
    result = yield
    marker = item.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or \
        {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    # After the last test the session's teardown has already dropped the test database.
    if transactional and nextitem is not None:
        from pytest_django.plugin import blocking_manager_key

        from invoicing.models import TaxCode
        from invoicing.taxcodes.loader import load_tax_codes

        with item.config.stash[blocking_manager_key].unblock():
            if not TaxCode.objects.exists():
                load_tax_codes()
    return result


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # PBKDF2's deliberate slowness is for production; here it would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_redis():
    """Each test starts with an empty Redis database of the tests' own (see environment.py)."""
    import django_rq

    django_rq.get_connection("default").flushdb()
    yield


@pytest.fixture
def tenants(db):
    """Two companies; company A has stores A1 and A2, company B has store B1; a user per role.

    Mirrors healthchecks' base test case: every view test has someone who must get a 404.
    """
    from tests.factories import CompanyFactory, StoreFactory, user_with_role

    a, b = CompanyFactory(name="甲公司"), CompanyFactory(name="乙公司")
    a1, a2 = StoreFactory(company=a, code="A1", name="甲一店"), StoreFactory(company=a, code="A2", name="甲二店")
    b1 = StoreFactory(company=b, code="B1", name="乙一店")
    return SimpleNamespace(
        a=a, b=b, a1=a1, a2=a2, b1=b1,
        hq_admin=user_with_role(Role.HQ_ADMIN, company=a, username="a_admin"),
        hq_finance=user_with_role(Role.HQ_FINANCE, company=a, username="a_finance"),
        manager_a1=user_with_role(Role.STORE_MANAGER, store=a1, username="a1_manager"),
        clerk_a1=user_with_role(Role.STORE_CLERK, store=a1, username="a1_clerk"),
        clerk_a2=user_with_role(Role.STORE_CLERK, store=a2, username="a2_clerk"),
        hq_admin_b=user_with_role(Role.HQ_ADMIN, company=b, username="b_admin"),
        clerk_b1=user_with_role(Role.STORE_CLERK, store=b1, username="b1_clerk"),
    )
