"""Refuse TRUNCATE on the audit trail, its chain heads and the exchange log; and DELETE of a head.

0002's row triggers never fire for TRUNCATE, so `TRUNCATE audit_auditevent` emptied the trail
in one statement (issue 13, row 4). A statement-level BEFORE TRUNCATE trigger closes that, also
when the tables are reached through `TRUNCATE ... CASCADE` from stores_company.

The one exception is the test suite: Django flushes every table with TRUNCATE between
transactional tests. It sets the session flag kaipiao.test_flush = 'on' (tests/conftest.py),
which nothing in the product sets. Like 0002's archiving flag, this guards against the
application and against mistakes at a psql prompt; the tables' owner can still drop the
trigger, which is a deliberate, visible act (and verify_audit_chain then reports the loss).
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION kaipiao_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('kaipiao.test_flush', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'kaipiao: % is append-only; TRUNCATE refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditevent_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION kaipiao_refuse_truncate();
CREATE TRIGGER audit_exchange_no_truncate BEFORE TRUNCATE ON audit_exchange
    FOR EACH STATEMENT EXECUTE FUNCTION kaipiao_refuse_truncate();
CREATE TRIGGER audit_auditchainhead_no_truncate BEFORE TRUNCATE ON audit_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION kaipiao_refuse_truncate();
-- The head is what tells verify_audit_chain how many rows a company must have: deleting it
-- would hide a truncated tail. It is updated on every append, so only DELETE is refused.
CREATE TRIGGER audit_auditchainhead_no_delete BEFORE DELETE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION kaipiao_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_exchange_no_truncate ON audit_exchange;
DROP TRIGGER IF EXISTS audit_auditchainhead_no_truncate ON audit_auditchainhead;
DROP TRIGGER IF EXISTS audit_auditchainhead_no_delete ON audit_auditchainhead;
DROP FUNCTION IF EXISTS kaipiao_refuse_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_reportjob")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
