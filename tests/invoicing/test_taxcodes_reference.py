"""The one loader of the tax-code reference data, read by the client and the sandbox alike."""

from pathlib import Path

import pytest
from django.conf import settings

from invoicing.taxcodes import reference, table
from sandbox.services import info


def test_it_reads_only_files_inside_the_repository():
    base = Path(settings.BASE_DIR).resolve()
    for path in (reference.CODES_CSV, reference.RATE_FAMILIES_CSV):
        assert path.resolve().is_relative_to(base), path
        assert path.is_file()


def test_a_missing_table_fails_loudly_instead_of_falling_back(monkeypatch, tmp_path):
    # The sandbox used to look in ../shared and use a built-in rate list when a file was missing.
    monkeypatch.setattr(reference, "CODES_CSV", tmp_path / "tax_classification_codes.csv")
    reference.codes.cache_clear()
    try:
        with pytest.raises(FileNotFoundError):
            reference.codes()
    finally:
        monkeypatch.undo()
        reference.codes.cache_clear()
    assert len(reference.codes()) == 4205


def test_the_sandbox_publishes_the_table_the_client_reads():
    # CXSSFLBM (the platform's code service) against the client's own view of the same data.
    published = {}
    for page in range(1, 6):
        answer = info.classification_codes(unit=None, payload={"pageNo": page, "pageSize": 1000})
        published.update({item["sphfwssflhbbm"]: item for item in answer["ssflbmList"]})
    assert len(published) == len(table.all_codes()) == 4205
    for code in table.all_codes():
        item = published[code.code]
        assert (item["hzx"] == "N") == table.is_usable(code.code), code.code
        assert sorted(item["yhzcbsList"]) == sorted(table.allowed_preferential(code.code)), code.code
        assert len(item["slList"]) == len(table.allowed_rates(code.code)), code.code
        # The short name the client writes into *short name*item name (the ten blank ones too).
        assert item["spjc"] == table.short_name_of(code.code), code.code


def test_the_code_service_answers_with_the_tables_time_stamp():
    # CXSSFLBM {nsrsbh, sjc, sjswjgdm}: sjc (yyyyMMddHHmmss) asks for what changed since then.
    answer = info.classification_codes(unit=None, payload={"sjc": "", "sjswjgdm": "13100000000", "pageSize": 1})
    assert (answer["total"], answer["sjc"]) == (4205, "20200101000000")
    assert info.classification_codes(unit=None, payload={"sjc": answer["sjc"]})["total"] == 0
