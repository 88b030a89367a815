import pytest


@pytest.mark.django_db
def test_it_serves_login_page(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "登录开票系统" in response.content.decode()
