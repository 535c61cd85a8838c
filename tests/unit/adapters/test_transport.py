"""The transport tells 'nothing was sent' apart from 'sent, but no answer'."""

import socket
import threading
import time

import pytest

from payments.adapters.errors import AdapterConfigError
from payments.adapters.transport import NoAnswer, NothingSent, Transport
from tests.unit.adapters.offline import closed_port


def test_a_refused_connection_is_nothing_sent_after_the_retries():
    transport = Transport(f"http://127.0.0.1:{closed_port()}", connect_timeout=0.2, connect_retries=2)
    started = time.monotonic()
    with pytest.raises(NothingSent):
        transport.exchange("POST", "/v1/transfers/bulk", {}, b"{}")
    assert time.monotonic() - started >= 0.05 + 0.1  # two backoffs: it did retry


def test_a_server_that_reads_the_request_but_never_answers_is_no_answer():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    received = []

    def swallow() -> None:
        conn, _ = listener.accept()
        received.append(conn.recv(65536))
        time.sleep(1.0)
        conn.close()

    thread = threading.Thread(target=swallow, daemon=True)
    thread.start()
    transport = Transport(f"http://127.0.0.1:{listener.getsockname()[1]}", read_timeout=0.3)
    with pytest.raises(NoAnswer):
        transport.exchange("POST", "/v1/transfers/bulk", {"X-Test": "1"}, b'{"k":1}')
    thread.join()
    listener.close()
    assert received[0].startswith(b"POST /v1/transfers/bulk")


@pytest.mark.parametrize("url", ["ftp://bank.example", "not a url", "http://"])
def test_a_base_url_that_is_not_http_is_a_configuration_error(url):
    with pytest.raises(AdapterConfigError):
        Transport(url)
