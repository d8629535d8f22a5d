"""Show a licence offer, a licence, or an account's licences of a work, and whether they are in force."""

import click
from ape.cli import ConnectedProviderCommand

from tutti.chain import Tutti
from tutti.licenses import (
    describe_duration,
    describe_rights,
    license_status,
    licenses_held,
    may_derive,
    offer,
)
from tutti.passes import format_time
from tutti.script_support import format_amount, user_errors


@click.command(cls=ConnectedProviderCommand, short_help="Show offers and licences")
@click.option("--offer", "offer_ids", type=int, multiple=True, help="An offer to show (repeat for several).")
@click.option("--license", "license_ids", type=int, multiple=True, help="A licence to show (repeat).")
@click.option("--work", "work_id", type=int, help="With --holder: that account's licences of this work.")
@click.option("--holder", "holders", multiple=True, help="An account to check for --work (repeat).")
def cli(offer_ids, license_ids, work_id, holders):
    """Offers with their terms and sales; licences with holder, rights and term, judged at the
    latest block's time; for --work and --holder, what each holder holds and whether it may
    register a derivative of the work."""
    if holders and work_id is None:
        raise click.UsageError("--holder needs --work")
    lines = []
    with user_errors():
        tutti = Tutti.connect()
        for offer_id in offer_ids:
            o = offer(tutti, offer_id)
            cost = format_amount(o.price, o.token) if o.price else "free"
            lines.append(f"Offer {offer_id} for work {o.work_id}: {describe_rights(o.rights)}; {cost} a licence, "
                         f"{describe_duration(o.duration)}, {o.sold} of {o.supply_cap} sold, "
                         f"{'transferable' if o.transferable else 'non-transferable'}, "
                         f"{'PAUSED' if o.paused else 'on sale'}")
        statuses = [license_status(tutti, license_id) for license_id in license_ids]
        for holder in holders:
            held = licenses_held(tutti, holder, work_id)
            derive = "may" if may_derive(tutti, work_id, holder) else "may NOT"
            lines.append(f"{holder}: {len(held)} licence{'' if len(held) == 1 else 's'} of work {work_id}; "
                         f"{derive} register a derivative of it")
            statuses += held
        for status in statuses:
            lines.append(f"  licence {status.license_id} (offer {status.offer_id}, work {status.work_id}) held by "
                         f"{status.holder}: {'VALID' if status.valid else 'NOT VALID'}, "
                         f"{describe_rights(status.rights)}, from {format_time(status.valid_from)}, {status.reason}")
    for line in lines:
        click.echo(line)
