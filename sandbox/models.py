"""The sandbox platform's own records. Nothing here is shared with the product's models."""

from decimal import Decimal

from django.db import models


class Unit(models.Model):
    """A connecting unit (接入单位): one taxpayer with its platform ids and secret."""

    SIGN_HMAC = "HMAC"
    SIGN_SM2 = "SM2"

    nsrsbh = models.CharField(max_length=20, unique=True)
    nsrmc = models.CharField(max_length=200)
    jrdwptbh = models.CharField(max_length=20, unique=True)
    sydwptbh = models.CharField(max_length=20, unique=True)
    secret = models.CharField(max_length=32)
    sign_type = models.CharField(max_length=4, default=SIGN_HMAC)
    public_key = models.CharField(max_length=130, blank=True)
    nsrztdm = models.CharField(max_length=2, default="03")
    scjydz = models.CharField(max_length=200, blank=True)
    monthly_quota = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("10000000.00"))
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.nsrsbh} {self.nsrmc}"


class NumberSequence(models.Model):
    """Last sequence number handed out to a unit in a year."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE)
    year = models.PositiveIntegerField()
    last = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="sandbox_sequence_unit_year")]

    def __str__(self):
        return f"{self.unit_id}/{self.year}: {self.last}"



class NumberBlock(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="number_blocks")
    ywlsh = models.CharField(max_length=100)
    year = models.PositiveIntegerField()
    first = models.BigIntegerField()
    count = models.PositiveIntegerField()
    prefix = models.CharField(max_length=6)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "ywlsh"], name="sandbox_block_unit_ywlsh")]

    def __str__(self):
        return f"{self.unit_id} {self.ywlsh} ×{self.count}"



class Quota(models.Model):
    """A unit's credit quota (授信额度) of one month."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE)
    month = models.CharField(max_length=6)  # yyyymm
    total = models.DecimalField(max_digits=16, decimal_places=2)
    downloaded = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))
    used = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="sandbox_quota_unit_month")]

    def __str__(self):
        return f"{self.unit_id} {self.month}"

    @property
    def downloadable(self):
        return self.total - self.downloaded - self.used



class QuotaRequest(models.Model):
    """One XZTHSXED call, kept so that the same ywlsh gets the same answer."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE)
    ywlsh = models.CharField(max_length=100)
    sqlx = models.CharField(max_length=1)
    sqed = models.DecimalField(max_digits=16, decimal_places=2)
    answer = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "ywlsh"], name="sandbox_quota_request_unit_ywlsh")]

    def __str__(self):
        return f"{self.unit_id} {self.ywlsh}"



class Upload(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="uploads")
    sllsh = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField()
    ready_at = models.DateTimeField()

    def __str__(self):
        return self.sllsh



class UploadedInvoice(models.Model):
    """One invoice of an upload with its result; status 00 rows are the issued invoices."""

    ISSUED = "00"
    REFUSED = "02"
    DUPLICATE = "03"

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="invoices")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE)
    position = models.PositiveIntegerField()
    fphm = models.CharField(max_length=40)
    status = models.CharField(max_length=2)
    returnmsg = models.TextField(blank=True)
    lzfpbz = models.CharField(max_length=1, blank=True)
    fppz = models.CharField(max_length=2, blank=True)
    jshj = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    hjje = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    kprq = models.DateTimeField(null=True)
    payload = models.JSONField()
    booked = models.BooleanField(default=False)
    red_form = models.ForeignKey("RedForm", null=True, on_delete=models.SET_NULL, related_name="red_invoices")

    class Meta:
        ordering = ["upload_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "fphm"], condition=models.Q(status="00"), name="sandbox_issued_number_once"
            )
        ]

    def __str__(self):
        return f"{self.fphm} {self.status}"



class RedForm(models.Model):
    """A red-letter confirmation form (红字确认单)."""

    SELLER = "0"
    BUYER = "1"
    OPEN_STATES = ("01", "02", "03", "04")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="red_forms")
    uuid = models.CharField(max_length=32, unique=True)
    hzqrxxdbh = models.CharField(max_length=20, unique=True)
    blue_invoice = models.ForeignKey(UploadedInvoice, on_delete=models.CASCADE, related_name="red_forms")
    state = models.CharField(max_length=2)
    lrfsf = models.CharField(max_length=1)
    chyydm = models.CharField(max_length=2)
    hzcxje = models.DecimalField(max_digits=16, decimal_places=2)
    hzcxse = models.DecimalField(max_digits=16, decimal_places=2)
    lines = models.JSONField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_actor = models.CharField(max_length=1)
    confirmed = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.hzqrxxdbh} {self.state}"



class Fault(models.Model):
    """A fault injected through the control API; shared by every sandbox process via the DB."""

    kind = models.CharField(max_length=32)
    value = models.JSONField()
    services = models.JSONField(default=list)
    times_left = models.IntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.kind}={self.value}"



class Clock(models.Model):
    """The sandbox clock's offset from real time (a single row)."""

    offset_seconds = models.FloatField(default=0.0)

    def __str__(self):
        return f"{self.offset_seconds:+}s"


class SummaryConfirmation(models.Model):
    """A unit's monthly summary confirmation (SCFPHZQRXX): 1 已确认, 2 已取消; no row is 0 未确认."""

    CONFIRMED = "1"
    CANCELLED = "2"

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="summary_confirmations")
    yf = models.CharField(max_length=7)  # yyyy-MM
    state = models.CharField(max_length=1)
    figures = models.JSONField()
    confirmed_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "yf"], name="sandbox_summary_unit_month")]

    def __str__(self):
        return f"{self.unit_id} {self.yf} {self.state}"
