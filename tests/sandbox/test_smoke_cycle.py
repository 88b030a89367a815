import pytest

from tests.sandbox.conftest import next_number
from tests.sandbox.platform import invoice

pytestmark = pytest.mark.django_db


def test_it_issues_a_blue_invoice(seller):
    number = next_number(seller)
    results = seller.issue([invoice(number)])
    assert results == [
        {"fphm": number, "status": "00", "returnmsg": "开具成功", "jshj": "226.00", "kprq": results[0]["kprq"]}
    ]
