"""The client's address behind proxies: only as many X-Forwarded-For hops as are trusted."""

from django.test import RequestFactory

from vafa.core.client_ip import client_ip


def _request(forwarded: str = ""):
    meta = {"REMOTE_ADDR": "10.0.0.2"}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = 0
    assert client_ip(_request("1.2.3.4")) == "10.0.0.2"


def test_behind_one_proxy_the_last_hop_is_the_client_and_forged_ones_are_skipped(settings):
    settings.TRUSTED_PROXIES = 1
    assert client_ip(_request("6.6.6.6, 5.5.5.5")) == "5.5.5.5"
    assert client_ip(_request()) == "10.0.0.2"


def test_behind_two_proxies(settings):
    settings.TRUSTED_PROXIES = 2
    assert client_ip(_request("6.6.6.6, 5.5.5.5, 172.16.0.1")) == "5.5.5.5"
    assert client_ip(_request("5.5.5.5")) == "10.0.0.2"
