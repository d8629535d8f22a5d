"""Withdraw your accrued share of a work's royalties (to yourself, or with --to to another address)."""

import click
from ape.cli import ConnectedProviderCommand, account_option

from tutti.chain import Tutti
from tutti.errors import TuttiError
from tutti.royalties import WithdrawToPermit, sign_withdraw_to_permit, withdraw, withdraw_to
from tutti.script_support import format_amount, resolve_token, user_errors

#: How long a --sign-only signature stays valid when no --deadline is given.
DEFAULT_VALIDITY_SECONDS = 24 * 3600


@click.command(cls=ConnectedProviderCommand, short_help="Withdraw a work's royalties")
@account_option()
@click.option("--work", "work_id", type=int, required=True, help="The work's id.")
@click.option("--token", default="ETH", show_default=True, help="ETH, TestToken, or an ERC-20 address.")
@click.option("--for", "beneficiary", help="The recipient, if not you: withdraw for it (funds go to it), "
              "or with --to, sign as its contract wallet's owner key / submit its --signature.")
@click.option("--to", "payee", help="Pay the recipient's share to this address instead (for a recipient "
              "that cannot receive ETH).")
@click.option("--sign-only", is_flag=True, help="With --to: only sign and print the signature, for anyone "
              "else to submit (the recipient needs no ETH for gas).")
@click.option("--signature", help="With --to and --for: submit the recipient's --sign-only signature.")
@click.option("--deadline", type=int, help="Unix time the signature expires (default: a day from now when "
              "signing; required with --signature).")
def cli(account, work_id, token, beneficiary, payee, sign_only, signature, deadline):
    """Send a recipient everything it has accrued in the work's split, or (--to) pay it elsewhere
    with the recipient's consent: the recipient sends it itself, or signs (EIP-712; its contract
    wallet's key for ERC-1271) so that anyone can send it."""
    with user_errors():
        tutti = Tutti.connect()
        token_address = resolve_token(tutti, token)
        if payee is None:
            if sign_only or signature or deadline is not None:
                raise TuttiError("--sign-only, --signature and --deadline go with --to")
            amount = withdraw(tutti, account, work_id, token_address, beneficiary)
            click.echo(f"Withdrew {format_amount(amount, token_address)} from work {work_id} "
                       f"to {beneficiary or account.address}")
            return
        recipient = _address(beneficiary or account.address, "--for")
        payee = _address(payee, "--to")
        permit = _permit(tutti, account, work_id, token_address, recipient, payee, sign_only, signature, deadline)
        if sign_only:
            click.echo(f"Signed: {recipient}'s share of work {work_id} may be paid to {payee}; anyone can submit:\n"
                       f"ape run withdraw --account NAME --work {work_id} --token {token} --for {recipient} "
                       f"--to {payee} --deadline {permit.deadline} --signature 0x{permit.signature.hex()}")
            return
        amount = withdraw_to(tutti, account, work_id, token_address, payee, permit)
        click.echo(f"Withdrew {format_amount(amount, token_address)} of {recipient}'s share of work {work_id} "
                   f"to {payee}")


def _permit(tutti, account, work_id, token, recipient, payee, sign_only, signature, deadline):
    """The recipient's signed consent, or None when the recipient sends the withdrawal itself."""
    from ape import chain

    if signature:
        if sign_only or deadline is None or not signature.startswith("0x"):
            raise TuttiError("--signature needs --deadline and a 0x-hex signature, and not --sign-only")
        try:
            signed = bytes.fromhex(signature[2:])
        except ValueError:
            raise TuttiError("--signature must be 0x-hex (as --sign-only prints it)") from None
        return WithdrawToPermit(work_id, token, recipient, payee, deadline, signed)
    if recipient == account.address and not sign_only:
        return None  # the splitter takes the recipient's own call without a signature
    deadline = chain.pending_timestamp + DEFAULT_VALIDITY_SECONDS if deadline is None else deadline
    return sign_withdraw_to_permit(tutti, account, work_id, token, recipient, payee, deadline)


def _address(text, option):
    from eth_utils import is_address, to_checksum_address

    if not is_address(text):
        raise TuttiError(f"{option} {text!r} is not an address (0x and 40 hex digits)")
    return to_checksum_address(text)
