"""`comptoir serve`: every role in one process group, as a user starts it."""

import signal
import smtplib
import time
import urllib.request

import pytest

from tests.conftest import make_email
from tests.smtp_sink import free_port


def wait_until(condition, timeout: float = 60, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = condition()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise TimeoutError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_serve_runs_web_worker_and_mail_in_together(comptoir_processes):
    web_port, mail_port = free_port(), free_port()
    comptoir_processes.env["COMPTOIR_MAIL_IN_PORT"] = str(mail_port)
    serve = comptoir_processes.start("serve", "--port", str(web_port))
    try:
        login_page = wait_until(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login/", timeout=2),
            what="the web role",
        )
        assert login_page.status == 200

        def send() -> bool:
            with smtplib.SMTP("127.0.0.1", mail_port, timeout=5) as client:
                client.sendmail(
                    "jeanne.martin@example.fr", ["support@shop.example"],
                    make_email(subject="Facture en double", message_id="<serve@example.fr>"),
                )
            return True

        wait_until(send, what="the mail-in role")
        # The worker role turns the stored email into a conversation.
        wait_until(
            lambda: comptoir_processes.evaluate(
                "__import__('comptoir.conversations.models', fromlist=['x'])"
                ".Conversation.objects.filter(subject='Facture en double').exists()"
            ),
            what="the worker to make the conversation",
        )
    finally:
        serve.send_signal(signal.SIGTERM)
        output = serve.communicate(timeout=30)[0].decode()
    assert "login:    admin" in output  # the first admin's login, printed once
    assert serve.returncode == 0, output


@pytest.mark.slow
def test_the_demo_outbox_keeps_every_message_sent_to_it_as_an_eml_file(
    comptoir_processes, tmp_path
):
    port = free_port()
    comptoir_processes.env["COMPTOIR_DATA_DIR"] = str(tmp_path)
    outbox = comptoir_processes.start("outbox", "--port", str(port))
    try:

        def send() -> bool:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                client.sendmail(
                    "support@shop.example", ["jeanne.martin@example.fr"],
                    make_email(subject="Votre commande", message_id="<outbox@shop.example>"),
                )
            return True

        wait_until(send, what="the outbox role")
    finally:
        outbox.send_signal(signal.SIGTERM)
        outbox.communicate(timeout=30)
    kept = list((tmp_path / "outbox" / "new").glob("*.eml"))
    assert len(kept) == 1
    assert b"Subject: Votre commande" in kept[0].read_bytes()
    assert outbox.returncode == 0
