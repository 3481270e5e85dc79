"""A real Celery worker on the local Redis and PostgreSQL runs the billing run, the
invoice PDFs and the invoice mail; a task delivered twice produces nothing new."""

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F

from config.celery import app
from invoicing.models import Invoice, InvoiceEmail
from invoicing.services import invoice_validate
from invoicing.tasks import (
    billing_run_customer,
    billing_run_fanout,
    render_invoice_pdf,
    send_invoice_email,
)

REDIS_URL = os.environ.get("SCALE_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
ROOT = Path(__file__).resolve().parents[2]
UP_TO = "2026-03-31"
TIMEOUT = 90


def _wait_for(condition, what: str, worker_log: Path):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n{worker_log.read_text()}")


def _reset_celery_clients():
    app._after_fork()  # forget broker connection pools
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def redis_queue():
    """A dedicated, empty Redis database; skipped with the reason when Redis is away."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker process must see the test database")
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"needs Redis at {REDIS_URL}: {error}")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


@pytest.fixture
def worker(transactional_db, redis_queue, tmp_path):
    """`celery -A config worker --pool=solo` on the test database, and this process
    queueing to it (instead of running tasks in-process) with results on Redis."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.scale.worker_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": redis_queue,
        "CELERY_RESULT_BACKEND": redis_queue,
        "MEDIA_ROOT": settings.MEDIA_ROOT,
        "EMAIL_FILE_PATH": str(mail_dir),
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
    command += ["--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", "scale-test@%h"]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)

    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=redis_queue, result_backend=redis_queue, task_always_eager=False)
    _reset_celery_clients()
    try:
        yield {"mail_dir": mail_dir, "log": log_path}
    finally:
        app.conf.update(saved)
        _reset_celery_clients()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _mails_about(mail_dir: Path, number: str) -> int:
    return sum(
        path.read_text(errors="replace").count(f"Subject: Invoice {number} ")
        for path in mail_dir.iterdir()
    )


def test_a_worker_runs_the_billing_run_and_mails_each_invoice_once(worker, make_line, log):
    lines = [make_line() for _ in range(2)]
    lines.append(make_line(customer=lines[0].order.customer))
    for line in lines:
        log(line, hours=3, date=date(2026, 3, 2))

    # The month-end run, fanned out one task per customer, then delivered twice more.
    customer_ids = billing_run_fanout.delay(up_to=UP_TO).get(timeout=TIMEOUT)
    assert sorted(customer_ids) == sorted({line.order.customer_id for line in lines})
    _wait_for(lambda: Invoice.objects.count() == 3, "three drafts", worker["log"])
    billing_run_fanout.delay(up_to=UP_TO).get(timeout=TIMEOUT)
    for customer_id in customer_ids:
        again = billing_run_customer.delay(customer_id=customer_id, up_to=UP_TO)
        assert again.get(timeout=TIMEOUT) == []
    assert Invoice.objects.count() == 3

    # Validation (committed here) queues the PDF and the mail to the worker.
    invoices = [
        invoice_validate(invoice=draft, invoice_date=date(2026, 3, 31))
        for draft in Invoice.objects.order_by("pk")
    ]

    def all_done():
        posted = Invoice.objects.filter(pk__in=[i.pk for i in invoices])
        return all(invoice.pdf for invoice in posted) and InvoiceEmail.objects.filter(
            sent_at__isnull=False
        ).count() == len(invoices)

    _wait_for(all_done, "the PDFs and mails of the validated invoices", worker["log"])
    before = {i.pk: (i.pdf.name, i.pdf_rendered_at) for i in Invoice.objects.all()}
    message_ids = dict(InvoiceEmail.objects.values_list("invoice_id", "message_id"))

    # Each task delivered twice more.
    for invoice in invoices:
        for _ in range(2):
            assert render_invoice_pdf.delay(invoice_id=invoice.pk).get(timeout=TIMEOUT)
            sent = send_invoice_email.delay(invoice_id=invoice.pk).get(timeout=TIMEOUT)
            assert sent == message_ids[invoice.pk]

    assert {i.pk: (i.pdf.name, i.pdf_rendered_at) for i in Invoice.objects.all()} == before
    stored_pdfs = list((Path(settings.MEDIA_ROOT) / "invoices").rglob("*.pdf"))
    assert sorted(path.name for path in stored_pdfs) == sorted(
        f"{invoice.number.replace('/', '-')}.pdf" for invoice in invoices
    )
    for invoice in invoices:
        assert _mails_about(worker["mail_dir"], invoice.number) == 1
    assert len(list(worker["mail_dir"].iterdir())) == len(invoices)


def test_a_worker_sends_the_mail_whose_kick_was_lost_on_its_periodic_run(
    worker, make_line, log, monkeypatch
):
    line = make_line()
    log(line, hours=2, date=date(2026, 3, 2))
    draft = billing_run_customer.delay(customer_id=line.order.customer_id, up_to=UP_TO).get(
        timeout=TIMEOUT
    )[0]

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")

    with monkeypatch.context() as patch:
        patch.setattr(app, "send_task", broker_down)
        invoice = invoice_validate(invoice=Invoice.objects.get(pk=draft))
    assert InvoiceEmail.objects.get(invoice=invoice).state == InvoiceEmail.PENDING

    InvoiceEmail.objects.update(next_attempt_at=F("next_attempt_at") - timedelta(hours=1))
    beat_entry = settings.CELERY_BEAT_SCHEDULE["send-pending-invoice-mail"]
    periodic = app.signature(beat_entry["task"])
    assert periodic.delay().get(timeout=TIMEOUT) == {"sent": 1, "failed": 0}
    assert periodic.delay().get(timeout=TIMEOUT) == {"sent": 0, "failed": 0}

    assert InvoiceEmail.objects.get(invoice=invoice).state == InvoiceEmail.SENT
    assert _mails_about(worker["mail_dir"], invoice.number) == 1
