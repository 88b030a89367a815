import pytest

from stores import lockout

pytestmark = pytest.mark.django_db


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_it_logs_in_and_out(client, tenants):
    response = login(client, "a1_clerk", "pw-test-123456")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_it_refuses_logout_by_get(client, tenants):
    client.force_login(tenants.clerk_a1)
    assert client.get("/accounts/logout/").status_code == 405


def test_it_explains_a_wrong_password_in_chinese(client, tenants):
    body = login(client, "a1_clerk", "wrong").content.decode()
    assert "用户名或密码错误" in body


def test_it_locks_the_account_after_repeated_failures(client, tenants, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        login(client, "a1_clerk", "wrong")
    response = login(client, "a1_clerk", "pw-test-123456")  # right password, but locked
    assert response.status_code == 200
    assert "已被锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_unlocks_after_the_window(client, tenants, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    login(client, "a1_clerk", "wrong")
    login(client, "a1_clerk", "wrong")
    assert lockout.is_locked("a1_clerk")
    lockout.clear("a1_clerk")  # what the cache expiry does after LOGIN_LOCKOUT_SECONDS
    assert login(client, "a1_clerk", "pw-test-123456").status_code == 302


def test_it_counts_failures_per_username_case_insensitively(client, tenants, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    login(client, "A1_CLERK", "wrong")
    login(client, "a1_clerk", "wrong")
    assert lockout.is_locked("a1_clerk")


def test_it_ignores_an_offsite_next_url(client, tenants):
    response = client.post("/accounts/login/?next=https://evil.example.com/",
                           {"username": "a1_clerk", "password": "pw-test-123456",
                            "next": "https://evil.example.com/"})
    assert response["Location"] == "/"


def test_it_changes_the_password(client, tenants):
    client.force_login(tenants.clerk_a1)
    response = client.post("/accounts/password/", {"old_password": "pw-test-123456",
                                                   "new_password1": "Fresh-pass-2026!", "new_password2": "Fresh-pass-2026!"})
    assert response.status_code == 302
    tenants.clerk_a1.refresh_from_db()
    assert tenants.clerk_a1.check_password("Fresh-pass-2026!")


def test_it_requires_csrf_on_login(tenants):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/accounts/login/", {"username": "a1_clerk", "password": "pw-test-123456"}).status_code == 403


def test_it_renders_english_when_asked(client, tenants):
    client.force_login(tenants.clerk_a1)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.get("/").wsgi_request.LANGUAGE_CODE == "en"
