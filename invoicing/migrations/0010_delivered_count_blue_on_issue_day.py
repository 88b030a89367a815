"""已送达 counted again from the deliveries themselves: blue invoices only, on their issue day.

Before, a red invoice's delivery counted too (the dashboard showed 已送达 200.0%) and a delivery
counted on the day it was sent rather than the day its invoice was issued. Rebuilding the counter
from InvoiceDelivery.first_delivered_at puts past days right; new deliveries are counted that way
by invoicing.delivery.services.
"""

from django.db import migrations

SQL = """
UPDATE invoicing_storedaystats SET delivered_count = 0 WHERE delivered_count <> 0;
UPDATE invoicing_storedaystats s SET delivered_count = c.n
FROM (
    SELECT i.store_id, (i.confirmed_at AT TIME ZONE 'Asia/Shanghai')::date AS day, count(*) AS n
    FROM invoicing_invoicedelivery d JOIN invoicing_invoice i ON i.id = d.invoice_id
    WHERE d.first_delivered_at IS NOT NULL AND i.kind = 'blue' AND i.confirmed_at IS NOT NULL
    GROUP BY 1, 2
) c
WHERE s.store_id = c.store_id AND s.day = c.day;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("invoicing", "0009_tax_code_memory_rate"),
    ]

    operations = [migrations.RunSQL(SQL, migrations.RunSQL.noop)]
