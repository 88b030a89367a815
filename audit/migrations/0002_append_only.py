"""Make the audit trail and the exchange log append-only in PostgreSQL itself.

UPDATE and DELETE are refused by a trigger, whoever asks (the ORM, the admin, psql). The one
(TRUNCATE is left to the table owner: the test suite's flush between transactional tests
uses it, and the application's database role should not own the tables in production.) The
exception is the archive command, which deletes rows it has exported and verified: it sets the
transaction-local flag kaipiao.archiving = 'on', which nothing else in the product sets.
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION kaipiao_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('kaipiao.archiving', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'kaipiao: % is append-only; % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION kaipiao_append_only();
CREATE TRIGGER audit_exchange_append_only BEFORE UPDATE OR DELETE ON audit_exchange
    FOR EACH ROW EXECUTE FUNCTION kaipiao_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_exchange_append_only ON audit_exchange;
DROP FUNCTION IF EXISTS kaipiao_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
