"""Licences and gated content: gas of offering and buying, time from purchase to playable audio
with a 2-of-3 key split, and encryption throughput on a 50 MB file.

    source bin/env && python bench/licences.py [--size-mb 50] [--runs 5]
    make bench-licences

Starts its own anvil (through ape-foundry, on a free port), deploys the system with three oracle
operators, starts their three key-release services (FastAPI + uvicorn on 127.0.0.1, in this
process), and uses an embedded IPFS store in a temporary folder. A measurement, not a test: it
asserts only what keeps the figures honest (the decrypted bytes equal the original).
The gas rows are also part of `bench/gas.py` (docs/gas.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ comes first on sys.path and bench/oracle.py would hide the oracle package.
sys.path = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.gas import Section, gas, render_text  # noqa: E402
from tutti.net import free_port  # noqa: E402
from tutti.royalties import ETH  # noqa: E402

ETHER = 10**18
TERMS_CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
STREAMING, REMIX = 2, 8


def licence_gas_section(tutti, artist, fan, producer, usd) -> Section:
    """Gas of LicenseOffers' actions and of the registry's derivative check."""
    from tutti.works import Share, register_work, registration_commitment

    licenses, registry = tutti.licenses, tutti.registry
    section = Section("LicenseOffers (price 0.05 ETH or 25 tUSD, platform fee 5%)", ["gas"])

    def work(owner, parents=()):
        return register_work(tutti, owner, metadata_cid=TERMS_CID, content_hash=os.urandom(32),
                             contributors=[Share(owner.address, 6_000), Share(producer.address, 4_000)],
                             parents=[Share(str(p), 1_000) for p in parents])

    def offer(work_id, rights=STREAMING, token=ETH, price=ETHER // 20, duration=365 * 86_400):
        receipt = licenses.createOffer(work_id, rights, token, price, duration, 1_000, False, TERMS_CID, sender=artist)
        return receipt, next(iter(receipt.decode_logs(licenses.OfferCreated))).offerId

    song = work(artist)
    receipt, streaming = offer(song.work_id)
    section.add("createOffer (ETH, 1 year, 59-character terms CID)", [gas(receipt)])
    receipt, by_token = offer(song.work_id, token=usd.address, price=25 * 10**6)
    section.add("createOffer (ERC-20)", [gas(receipt)])
    section.add("buyLicense ETH, the split's first ETH (a fresh work)",
                [gas(licenses.buyLicense(streaming, fan, sender=fan, value=ETHER // 20))])
    section.add("buyLicense ETH, a later sale",
                [gas(licenses.buyLicense(streaming, producer, sender=producer, value=ETHER // 20))])
    usd.mint(fan, 10**9, sender=fan)
    usd.approve(licenses, 2**256 - 1, sender=fan)
    section.add("buyLicense ERC-20 (the split's first tUSD)",
                [gas(licenses.buyLicense(by_token, fan, sender=fan))])
    section.add("setOfferPaused", [gas(licenses.setOfferPaused(streaming, True, sender=artist))])
    section.add("withdrawPlatformFees ETH", [gas(licenses.withdrawPlatformFees(ETH, sender=fan))])

    # The registry's check: one external call per parent. Registration is commit-reveal: the
    # commitment goes in one block, register in a later one (anvil mines each transaction).
    commit_gas = []

    def derivative_gas(parent_id):
        content_hash = os.urandom(32)
        commitment = registration_commitment(producer.address, content_hash)
        commit_gas.append(gas(registry.commitRegistration(commitment, sender=producer)))
        receipt = registry.register(
            (TERMS_CID, content_hash, "CC-BY-4.0", 1_000, [(producer.address, 10_000)], [(parent_id, 1_000)]),
            sender=producer, value=registry.registrationFee())
        return gas(receipt)

    open_parent = work(artist)
    section.add("register a derivative of an open work (1 parent)", [derivative_gas(open_parent.work_id)])
    gated_parent = work(artist)
    section.add("setDerivativeLicenseRequired",
                [gas(licenses.setDerivativeLicenseRequired(gated_parent.work_id, True, sender=artist))])
    _, remix_offer = offer(gated_parent.work_id, rights=REMIX)
    licenses.buyLicense(remix_offer, producer, sender=producer, value=ETHER // 20)
    section.add("register a derivative of a gated work, holding a remix licence",
                [derivative_gas(gated_parent.work_id)])
    section.add("commitRegistration (before each register, one block earlier)", commit_gas[:1])
    section.note = ("Licences are ERC-721 tokens (one per sale). A sale deposits into the work's split in the same "
                    "transaction; the fee accrues for a pull by the treasury. Each registration first sends "
                    "commitRegistration (its own row); the register rows count register alone, so they compare "
                    "with the ContentRegistry table.")
    return section


def _throughput(size_mb: int, tmp: Path) -> list[tuple[str, float]]:
    """MB/s of encrypting and decrypting a file of ``size_mb`` MB, and of copying it (baseline)."""
    import shutil

    from tutti.gated.envelope import decrypt_stream, encrypt_stream, new_content_key

    plain, sealed, back = tmp / "plain.bin", tmp / "sealed.bin", tmp / "back.bin"
    with open(plain, "wb") as out:
        for _ in range(size_mb):
            out.write(os.urandom(1 << 20))
    key = new_content_key()
    figures = []

    def timed(label, action):
        started = time.perf_counter()
        action()
        figures.append((label, size_mb / (time.perf_counter() - started)))

    timed("copy (baseline: read + write the same file)", lambda: shutil.copyfile(plain, back))
    with open(plain, "rb") as src, open(sealed, "wb") as dst:
        timed("encrypt (AES-256-GCM, 1 MiB chunks, + keccak of both sides)", lambda: encrypt_stream(key, src, dst))
    with open(sealed, "rb") as src, open(back, "wb") as dst:
        timed("decrypt (+ keccak of both sides)", lambda: decrypt_stream(key, src, dst))
    assert back.read_bytes() == plain.read_bytes()
    return figures


def _purchase_to_playable(runs: int, track_mb: int, tmp: Path) -> tuple[list[float], Section]:
    from ape import accounts, chain

    from oracle.keys import ThreadedServer, build_service, create_app
    from tutti.deployment import DeployParams, deploy_system
    from tutti.gated.client import ape_signer, decrypt_file, gather_key
    from tutti.gated.manifest import OperatorKey, protect_files
    from tutti.gated.sealing import public_bytes
    from tutti.ipfs.embedded import EmbeddedStore
    from tutti.licenses import buy_license, create_offer
    from tutti.works import Share, register_work

    test_accounts = accounts.test_accounts
    deployer, artist, producer, fan = (test_accounts[i] for i in (0, 1, 2, 4))
    operators = [test_accounts[i] for i in (7, 8, 9)]
    tutti = deploy_system(deployer, DeployParams(oracle_operators=tuple(o.address for o in operators),
                                                 oracle_quorum=2, test_token=True))
    gas_section = licence_gas_section(tutti, artist, fan, producer, tutti.extra("TestToken"))
    store = EmbeddedStore(tmp / "ipfs")
    services = [build_service(tutti.book, chain.provider.uri, op, store, tmp / f"{op.address}.x25519")
                for op in operators]
    servers = [ThreadedServer(create_app(s), free_port()).__enter__() for s in services]
    try:
        track = tmp / "track.wav"
        track.write_bytes(os.urandom(track_mb << 20))
        keys = [OperatorKey(s.operator, public_bytes(s.private_key), srv.url) for s, srv in zip(services, servers)]
        protected = protect_files(store, {"track.wav": track}, keys, 2)
        metadata = store.add_bytes(json.dumps({"gated": {"manifest": protected.manifest_cid}}).encode(), cid_version=1)
        work = register_work(tutti, artist, metadata_cid=metadata, content_hash=protected.content_hash,
                             contributors=[Share(artist.address, 10_000)])
        offer_id, _ = create_offer(tutti, artist, work_id=work.work_id, rights=STREAMING, price=ETHER // 100,
                                   supply_cap=1_000, terms_cid=TERMS_CID)
        times = []
        for run in range(runs):
            buyer = fan  # a fan may hold up to 16 licences of one work: enough runs
            started = time.perf_counter()
            buy_license(tutti, buyer, offer_id)
            gathered = gather_key(protected.manifest, work.work_id, buyer.address, ape_signer(buyer),
                                  [srv.url for srv in servers], chain.chain_id, tutti.licenses.address)
            out = decrypt_file(store, protected.manifest, gathered.key, "track.wav", tmp / f"play-{run}.wav")
            times.append(time.perf_counter() - started)
            assert out.stat().st_size == track.stat().st_size
    finally:
        for server in servers:
            server.__exit__(None, None, None)
    return times, gas_section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=50, help="file size for the throughput figure")
    parser.add_argument("--track-mb", type=int, default=5, help="size of the gated track bought and played")
    parser.add_argument("--runs", type=int, default=5, help="purchases timed")
    args = parser.parse_args(argv)
    os.environ["APE_FOUNDRY_HOST"] = f"http://127.0.0.1:{free_port()}"

    from ape import networks
    from ape.logging import logger

    logger.set_level("ERROR")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="tutti-bench-licences-") as folder:
        tmp = Path(folder)
        with networks.parse_network_choice("ethereum:local:foundry"):
            times, gas_section = _purchase_to_playable(args.runs, args.track_mb, tmp)
        figures = _throughput(args.size_mb, tmp)
    print(render_text([gas_section]))
    print(f"Purchase to playable ({args.track_mb} MB track, key 2-of-3, all three operators asked at once; "
          f"buyLicense tx + 3 key requests + fetch + decrypt), {len(times)} runs:")
    print(f"  median {statistics.median(times):.3f} s, min {min(times):.3f} s, max {max(times):.3f} s (goal < 2 s)")
    print(f"Throughput on a {args.size_mb} MB file (one core):")
    for label, mbps in figures:
        print(f"  {label:<62} {mbps:8.1f} MB/s")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
