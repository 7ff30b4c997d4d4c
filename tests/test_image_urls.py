"""Images by URL: refused without an allow-list, fetched only under it, redirects and oversize refused.

The image host is a real HTTP server on loopback (Python's http.server), not a mock.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from segchat.contracts.errors import BadRequestError, PayloadTooLargeError
from segchat.agent.serving.image_urls import fetch_image_url, url_allowed
from segchat.agent.serving.payloads import decode_image_payload
from bench.server_process import REPO

PNG = (REPO / "examples" / "shapes_demo.png").read_bytes()


class ImageHost(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/public/demo.png":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)
        elif self.path == "/public/moved.png":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
        elif self.path == "/public/huge.png":  # no Content-Length: the size is found while reading
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"\0" * 300_000)
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def host():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ImageHost)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_allow_list_rules():
    allow = ["https://img.example.com/public/", "http://10.0.0.5:8080/cats"]
    assert url_allowed("https://img.example.com/public/a.png", allow)
    assert url_allowed("https://img.example.com:443/public/a.png", allow)
    assert url_allowed("http://10.0.0.5:8080/cats/1.jpg", allow) and url_allowed("http://10.0.0.5:8080/cats", allow)
    for url in ["http://img.example.com/public/a.png",  # other scheme
                "https://img.example.com.evil.net/public/a.png", "https://evil.net/?https://img.example.com/public/",
                "https://img.example.com/private/a.png", "https://img.example.com/public/../private/a.png",
                "https://img.example.com/public/%2e%2e/private/a.png", "https://user:pw@img.example.com/public/a.png",
                "http://10.0.0.5:8081/cats/1.jpg", "http://10.0.0.5:8080/catsanddogs.jpg", "file:///etc/passwd",
                "http://10.0.0.5:notaport/cats/1.jpg"]:
        assert not url_allowed(url, allow), url


def test_without_an_allow_list_nothing_is_fetched(host):
    with pytest.raises(BadRequestError) as refused:
        decode_image_payload(host + "/public/demo.png", 10_000_000)
    assert refused.value.code == "url_not_allowed" and "SEGCHAT_IMAGE_URL_ALLOWLIST" in str(refused.value)


def test_allowed_url_is_fetched_and_others_refused(host):
    allow = [host + "/public/"]
    assert decode_image_payload(host + "/public/demo.png", 10_000_000, allow) == PNG
    with pytest.raises(BadRequestError) as outside:
        decode_image_payload(host + "/secret.png", 10_000_000, allow)
    assert outside.value.code == "url_not_allowed"
    with pytest.raises(BadRequestError) as redirected:
        fetch_image_url(host + "/public/moved.png", allow, 10_000_000)
    assert redirected.value.code == "url_fetch_failed" and "redirect" in str(redirected.value)
    with pytest.raises(BadRequestError) as missing:
        fetch_image_url(host + "/public/none.png", allow, 10_000_000)
    assert missing.value.code == "url_fetch_failed" and "404" in str(missing.value)
    with pytest.raises(PayloadTooLargeError):
        fetch_image_url(host + "/public/demo.png", allow, 1_000)  # Content-Length says too big
    with pytest.raises(PayloadTooLargeError):
        fetch_image_url(host + "/public/huge.png", allow, 100_000)  # found while reading


def test_unreachable_host_is_a_clear_400():
    with pytest.raises(BadRequestError) as failed:
        fetch_image_url("http://127.0.0.1:9/public/a.png", ["http://127.0.0.1:9/public/"], 1_000, timeout_s=2)
    assert failed.value.code == "url_fetch_failed"
