"""``loyalty demo``: the widget on a sample storefront, with a seeded SQLite shop behind it."""
from __future__ import annotations

import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import click
from werkzeug.serving import WSGIRequestHandler, make_server

from loyalty_plugin.app import create_app
from loyalty_plugin.db import get_db
from loyalty_plugin.migrate import upgrade
from loyalty_plugin.models import utcnow
from loyalty_plugin.providers.native import NativeProvider

from .demo import DEMO_DOMAIN, seed_demo, send_sample_order
from .storefront import create_storefront


@click.group("demo", invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface both servers listen on.")
@click.option("--api-port", default=8000, show_default=True, type=int, help="The service and widget API.")
@click.option("--storefront-port", default=8001, show_default=True, type=int,
              help="The sample storefront (a different origin from the API).")
@click.pass_context
def demo_cli(ctx: click.Context, host: str, api_port: int, storefront_port: int) -> None:
    """Run the widget on a sample storefront against a seeded demo shop (SQLite, temporary)."""
    if ctx.invoked_subcommand is not None:
        return
    workdir = Path(tempfile.mkdtemp(prefix="loyalty-demo-"))
    try:
        _run(host, api_port, storefront_port, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def demo_provider(_shop) -> NativeProvider:
    """The demo has no Shopify store behind it: its codes live in the demo database only."""
    return NativeProvider()


class _QuietHandler(WSGIRequestHandler):
    """No line per request: the instructions printed at the start stay readable."""

    def log_request(self, *args, **kwargs) -> None:
        pass


def _run(host: str, api_port: int, storefront_port: int, workdir: Path) -> None:
    api_origin = f"http://{host}:{api_port}"
    storefront_origin = f"http://{host}:{storefront_port}"
    app = create_app({"LOYALTY_DATABASE_URL": f"sqlite:///{workdir / 'demo.db'}",
                      "LOYALTY_PUBLIC_URL": api_origin, "LOYALTY_SCHEMA_CHECK": False,
                      "LOYALTY_LOG_LEVEL": "WARNING", "LOYALTY_DISCOUNT_PROVIDERS": demo_provider})
    with app.app_context():
        upgrade(get_db().engine)
        with get_db().transaction() as session:
            demo = seed_demo(session, storefront_origin=storefront_origin, now=utcnow())
    storefront = create_storefront(api_origin=api_origin, shop_id=demo.shop_id,
                                   widget_secret=demo.widget_secret, customer_id=demo.customer_id)
    try:
        servers = [make_server(host, api_port, app, threaded=True, request_handler=_QuietHandler),
                   make_server(host, storefront_port, storefront, threaded=True,
                               request_handler=_QuietHandler)]
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}: {exc}") from None
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    links = ((f"Storefront, signed in as Ada (customer {demo.customer_id}):", f"{storefront_origin}/"),
             ("Storefront as a guest:", f"{storefront_origin}/?guest=1"),
             ("Storefront in French:", f"{storefront_origin}/?lang=fr"),
             ("Service and widget API:", api_origin))
    click.echo(f"Loyalty demo: shop {demo.shop_id} ({DEMO_DOMAIN}), database {workdir / 'demo.db'}\n")
    for label, url in links:
        click.echo(f"  {label:<46} {url}")
    click.echo(f"""
Send Ada a signed sample order (a Shopify orders/paid webhook), then reopen the panel:

  loyalty demo order --api {api_origin} --shop {demo.shop_id} --secret {demo.webhook_secret} \\
      --customer {demo.customer_id} --amount 42.50

Press Ctrl-C to stop (the demo database is deleted).""")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5) and all(t.is_alive() for t in threads):
            pass
    except KeyboardInterrupt:
        click.echo("\nStopping.")
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@demo_cli.command("order")
@click.option("--api", required=True, help="The service's address, e.g. http://127.0.0.1:8000.")
@click.option("--shop", "shop_id", required=True, type=int, help="The shop id.")
@click.option("--secret", required=True, help="The shop's webhook secret.")
@click.option("--customer", default="1001", show_default=True, help="The Shopify customer id.")
@click.option("--amount", default="42.50", show_default=True, help="The order subtotal.")
@click.option("--domain", default=DEMO_DOMAIN, show_default=True, help="The shop's domain.")
def demo_order(api: str, shop_id: int, secret: str, customer: str, amount: str, domain: str) -> None:
    """Send one signed sample order through the Shopify webhook endpoint."""
    order_id = int(time.time() * 1000)
    try:
        status, text = send_sample_order(api=api, shop_id=shop_id, secret=secret, customer_id=customer,
                                         subtotal=amount, order_id=order_id, domain=domain)
    except OSError as exc:
        raise click.ClickException(f"could not reach {api}: {exc}") from None
    click.echo(f"order {order_id}: HTTP {status} {text.strip()}")
    if status != 200:
        raise SystemExit(1)
