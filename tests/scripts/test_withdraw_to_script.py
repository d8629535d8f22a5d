"""`ape run withdraw --to` (issue 12, item 6): a split recipient that cannot receive ETH (a
contract wallet that rejects it) has its share paid elsewhere. Its owner key signs the EIP-712
`WithdrawTo` consent (ERC-1271) with --sign-only; anyone submits it with --signature."""

from __future__ import annotations

import re

import pytest
from eth_utils import keccak

from tutti.royalties import ETH, pay
from tutti.works import Share, register_work

ETHER = 10**18


@pytest.fixture
def rejecting_work(tutti, project, deployer, artist, producer, fan):
    """A work whose 25 % recipient is a wallet (owner key: producer = TEST::2) that rejects ETH,
    paid 1 ETH; returns (work id, wallet address)."""
    wallet = deployer.deploy(project.RejectingWallet, producer.address)
    work = register_work(tutti, artist, metadata_cid="bafy-withdraw-to", content_hash=keccak(text="withdraw-to"),
                         contributors=[Share(wallet.address, 2_500), Share(artist.address, 7_500)])
    pay(tutti, fan, work.work_id, ETHER, ETH)
    return str(work.work_id), wallet.address


def test_a_rejecting_wallets_share_reaches_another_address_by_script(run, rejecting_work, vocalist):
    work_id, wallet = rejecting_work
    wrong = run("withdraw", "--work", work_id, "--for", wallet, "--to", vocalist.address, "--sign-only",
                account="TEST::4", check=False)
    assert wrong.returncode != 0
    assert f"the signature is not {wallet}'s for this withdrawal" in wrong.stderr.strip().splitlines()[-1]

    signed = run("withdraw", "--work", work_id, "--for", wallet, "--to", vocalist.address, "--sign-only",
                 account="TEST::2")
    submit = re.search(r"--deadline (\d+) --signature (0x[0-9a-f]+)", signed.stdout)
    before = vocalist.balance
    done = run("withdraw", "--work", work_id, "--for", wallet, "--to", vocalist.address,
               "--deadline", submit.group(1), "--signature", submit.group(2), account="TEST::4")  # a relayer
    assert f"Withdrew 0.25 ETH of {wallet}'s share of work {work_id} to {vocalist.address}" in done.stdout
    assert vocalist.balance - before == ETHER // 4

    again = run("withdraw", "--work", work_id, "--for", wallet, "--to", vocalist.address,
                "--deadline", submit.group(1), "--signature", submit.group(2), account="TEST::4", check=False)
    assert again.returncode != 0 and "Traceback" not in again.stderr
    assert "already used" in again.stderr or "nothing to withdraw" in again.stderr


def test_a_recipient_sends_its_own_share_elsewhere_and_an_expired_signature_is_refused(
        run, rejecting_work, artist, vocalist):
    work_id, wallet = rejecting_work
    expired = run("withdraw", "--work", work_id, "--for", wallet, "--to", vocalist.address, "--deadline", "1",
                  "--signature", "0x" + "11" * 65, account="TEST::4", check=False)
    assert expired.returncode != 0 and "deadline 1 has passed" in expired.stderr

    before = vocalist.balance
    done = run("withdraw", "--work", work_id, "--to", vocalist.address, account="TEST::1")  # no signature needed
    assert "Withdrew 0.75 ETH" in done.stdout
    assert vocalist.balance - before == 3 * ETHER // 4
    empty = run("withdraw", "--work", work_id, "--to", vocalist.address, account="TEST::1", check=False)
    assert empty.returncode != 0 and f"{artist.address} has nothing to withdraw from work {work_id}" in empty.stderr
