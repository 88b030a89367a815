"""Row 6 of issue 13: refunds arriving while the worker issues red letters never answer 5xx
(locks in one order, a conflict retried; real PostgreSQL, the API and the sandbox over HTTP)."""

import threading
from decimal import Decimal as D

from invoicing.concurrency import retry_on_conflict
from invoicing.models import Invoice, RedLetterForm, Refund
from invoicing.redletter import refunds
from tests.redletter.conftest import an_order, goods_lines, run_jobs

ORDERS = 10
REFUNDS_PER_ORDER = 2  # 20 refunds: one box of three, twice per order


def _refund_body(order_no: str, refund_id: str) -> dict:
    return {"refund_id": refund_id, "order_no": order_no, "amount": "113.00",
            "refunded_at": "2025-01-02T10:00:00+08:00", "lines": [{"line_no": 1, "quantity": "1", "amount": "113.00"}]}


def test_twenty_refunds_while_red_letters_are_issued_answer_no_5xx(shop):
    orders = [an_order(lines=goods_lines()) for _ in range(ORDERS)]
    assert shop.api.post("/api/v1/orders/batch", {"orders": orders}).status_code == 200
    run_jobs()
    assert Invoice.objects.filter(kind="blue", status="issued").count() == ORDERS

    bodies = [_refund_body(order["order_no"], f"LK-{n}-{i}") for n in range(REFUNDS_PER_ORDER)
              for i, order in enumerate(orders)]
    statuses: list[int] = []
    barrier = threading.Barrier(len(bodies))

    def post(body):
        barrier.wait(timeout=30)
        statuses.append(shop.api.post("/api/v1/refunds", body).status_code)

    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    # Meanwhile the worker reverses what has arrived and issues the red invoices.
    while any(thread.is_alive() for thread in threads):
        refunds.refunds_reverse_pending()
        run_jobs()
    for thread in threads:
        thread.join()
    for _ in range(20):
        refunds.refunds_reverse_pending()
        run_jobs()
        if not Refund.objects.exclude(status=Refund.Status.REVERSED).exists():
            break

    assert sorted(statuses) == [201] * len(bodies)
    assert Refund.objects.filter(status=Refund.Status.REVERSED).count() == len(bodies)
    assert RedLetterForm.objects.count() == len(bodies)
    red = Invoice.objects.filter(kind="red")
    assert red.count() == len(bodies) and set(red.values_list("status", flat=True)) == {"issued"}
    assert sum(red.values_list("total_with_tax", flat=True)) == D("-113.00") * len(bodies)


def test_a_deadlock_is_retried_a_bounded_number_of_times():
    from django.db import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    calls = []

    @retry_on_conflict
    def always_deadlocks():
        calls.append(1)
        raise OperationalError("deadlock detected") from Deadlock()

    try:
        always_deadlocks()
    except OperationalError as error:
        assert "deadlock" in str(error)
    else:
        raise AssertionError("a deadlock that never clears must end in the error")
    assert len(calls) == 4


def test_a_deadlock_that_clears_is_not_an_error():
    from django.db import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    calls = []

    @retry_on_conflict
    def deadlocks_once():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from Deadlock()
        return "done"

    assert deadlocks_once() == "done" and len(calls) == 2
