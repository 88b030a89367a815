"""Factories shared by the whole suite: companies, stores, users with roles."""

import itertools

import factory
from django.contrib.auth import get_user_model

from invoicing.rules.taxid import make_uscc
from stores.models import Company, Membership, Store
from stores.roles import Role

_seq = itertools.count(1)


def _tax_id(n: int) -> str:
    return make_uscc(f"91310115MA{n:07d}")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"测试公司{n}")
    tax_id = factory.LazyFunction(lambda: _tax_id(next(_seq)))
    address = "上海市浦东新区"
    phone = "021-12345678"
    drawer_name = "张三"


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"门店{n}")
    rollout_percent = 100


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-test-123456")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def user_with_role(role: str, *, company=None, store=None, **kwargs):
    user = UserFactory(**kwargs)
    if role in (Role.STORE_MANAGER, Role.STORE_CLERK):
        Membership.objects.create(user=user, company=store.company, store=store, role=role)
    else:
        Membership.objects.create(user=user, company=company, role=role)
    return user
