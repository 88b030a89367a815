import pytest
from django.test import Client

from tests.sandbox.platform import SELLER_ID, PlatformClient, register_unit


@pytest.fixture(autouse=True)
def _fast_sandbox(settings):
    """Results are ready at once unless a test sets a processing delay."""
    settings.SANDBOX_PROCESSING_DELAY_S = 0
    settings.SANDBOX_THROTTLE_PER_S = 50


@pytest.fixture
def http():
    return Client()


@pytest.fixture
def platform(db, http):
    credentials = register_unit(http)
    return PlatformClient(http=http, nsrsbh=SELLER_ID, **credentials)


@pytest.fixture
def seller(platform):
    """A unit with quota downloaded and a block of numbers."""
    platform.download_quota()
    platform.numbers_left = platform.numbers(50)
    return platform


def next_number(seller) -> str:
    return seller.numbers_left.pop(0)
