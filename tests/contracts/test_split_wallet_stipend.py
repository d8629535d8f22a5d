"""A work's royalty wallet accepts every payment, even one forwarding Solidity's 2,300-gas stipend."""

from tutti.works import Share, register_work

ETHER = 10**18
ETH = "0x" + "00" * 20


def test_a_stipend_payment_reaches_a_wallet_before_and_after_deployment(project, chain, tutti, artist, producer, fan):
    work = register_work(tutti, artist, metadata_cid="QmStipend", content_hash=b"\x51" * 32,
                         contributors=[Share(artist.address, 6_000), Share(producer.address, 4_000)])
    payer = fan.deploy(project.StipendPayer)
    assert chain.provider.get_code(work.wallet) == b""  # the address is fixed, the code not yet deployed

    payer.payWithTransfer(work.wallet, value=ETHER, sender=fan)
    tutti.registry.flushWallet(work.work_id, ETH, sender=fan)  # deploys the wallet, then deposits

    assert chain.provider.get_code(work.wallet) != b""
    assert tutti.splitter.withdrawable(work.split_id, ETH, producer) == 4 * ETHER // 10

    # Deployed, the wallet still accepts a stipend payment: it waits for the next flush.
    payer.payWithTransfer(work.wallet, value=ETHER, sender=fan)
    assert tutti.splitter.totalReceived(work.split_id, ETH) == ETHER
    project.SplitWallet.at(work.wallet).flush(ETH, sender=fan)
    assert tutti.splitter.totalReceived(work.split_id, ETH) == 2 * ETHER


def test_flushing_an_empty_wallet_is_refused(project, tutti, artist, fan):
    import ape

    work = register_work(tutti, artist, metadata_cid="QmEmpty", content_hash=b"\x53" * 32,
                         contributors=[Share(artist.address, 10_000)])
    with ape.reverts(project.SplitWallet.NothingToFlush, token=ETH):
        tutti.registry.flushWallet(work.work_id, ETH, sender=fan)


def test_a_payment_with_enough_gas_to_a_deployed_wallet_is_deposited_at_once(tutti, artist, fan):
    work = register_work(tutti, artist, metadata_cid="QmDirect", content_hash=b"\x52" * 32,
                         contributors=[Share(artist.address, 10_000)])
    tutti.registry.deployWallet(work.work_id, sender=fan)
    fan.transfer(work.wallet, ETHER)
    assert tutti.splitter.totalReceived(work.split_id, ETH) == ETHER
