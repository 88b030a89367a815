"""Demo catalogue: everyday products with codes from the official table and the rates they carry."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from audit.services import Actor, audit_record
from invoicing.models import Product
from invoicing.models.catalogue import product_code_errors

# (SKU, name, tax code, rate, unit, spec, price with tax). Rates: grain, edible oil, fresh eggs,
# fruit, vegetables, fresh meat, table salt and pasteurised/sterilised milk are agricultural or
# basic goods at 9 %; processed food, drinks and daily goods 13 %; catering services 6 %.
DEMO_PRODUCTS = [
    ("DM-001", "东北大米", "1030102010100000000", "0.09", "袋", "5kg", "39.90"),
    ("DM-002", "压榨花生油", "1030105010500000000", "0.09", "桶", "5L", "89.00"),
    ("DM-003", "鲜鸡蛋", "1010303020100000000", "0.09", "盒", "30枚", "25.80"),
    ("DM-004", "红富士苹果", "1010115010100000000", "0.09", "千克", "", "12.60"),
    ("DM-005", "大白菜", "1010112040000000000", "0.09", "千克", "", "2.98"),
    ("DM-006", "冷鲜猪肉", "1030107010100000000", "0.09", "千克", "", "32.00"),
    ("DM-007", "纯牛奶", "1030204010000000000", "0.09", "箱", "250ml×24", "69.00"),
    ("DM-008", "马苏里拉奶酪", "1030204020000000000", "0.13", "盒", "200g", "28.50"),
    ("DM-009", "加碘食用盐", "1030210010000000000", "0.09", "袋", "400g", "2.50"),
    ("DM-010", "苏打饼干", "1030201030000000000", "0.13", "袋", "400g", "15.90"),
    ("DM-011", "全麦面包", "1030201020000000000", "0.13", "袋", "400g", "12.80"),
    ("DM-012", "黑巧克力", "1030202020000000000", "0.13", "块", "100g", "19.90"),
    ("DM-013", "橙汁", "1030307020000000000", "0.13", "瓶", "1L", "13.50"),
    ("DM-014", "即饮咖啡", "1030307060000000000", "0.13", "瓶", "280ml", "6.50"),
    ("DM-015", "罐装啤酒", "1030303010000000000", "0.13", "罐", "500ml", "5.80"),
    ("DM-016", "生抽酱油", "1030206020000000000", "0.13", "瓶", "500ml", "11.90"),
    ("DM-017", "速冻水饺", "1030203020000000000", "0.13", "袋", "1kg", "26.90"),
    ("DM-018", "含氟牙膏", "1070224010000000000", "0.13", "支", "120g", "16.80"),
    ("DM-019", "洗衣液", "1070222020000000000", "0.13", "瓶", "2kg", "35.90"),
    ("DM-020", "纯棉毛巾", "1040106020000000000", "0.13", "条", "34×76cm", "19.90"),
    ("DM-021", "中性笔", "1060401010000000000", "0.13", "盒", "12支", "18.00"),
    ("DM-022", "堂食餐饮", "3070401000000000000", "0.06", "份", "", "45.00"),
]


@transaction.atomic
def seed_invoicing_demo(company) -> list[str]:
    """Create (or leave as is) the demo catalogue of ``company``; returns lines for the command's output."""
    actor = Actor.system()
    created = 0
    for sku, name, code, rate, unit, spec, price in DEMO_PRODUCTS:
        errors = product_code_errors(tax_code=code, rate=Decimal(rate))
        if errors:  # the code table changed under us: skip rather than seed a product that cannot be invoiced
            continue
        product, was_created = Product.objects.get_or_create(
            company=company, sku=sku,
            defaults={"name": name, "tax_code": code, "rate": Decimal(rate), "unit": unit, "spec": spec,
                      "price": Decimal(price), "price_includes_tax": True},
        )
        if was_created:
            created += 1
            audit_record(actor=actor, action="product.create", obj=product, company=company,
                         after={"sku": sku, "name": name, "tax_code": code, "rate": rate, "price": price})
    total = Product.objects.filter(company=company).count()
    return [f"商品目录：新增 {created} 个商品，共 {total} 个（含税价，税率按税收分类编码）"]
