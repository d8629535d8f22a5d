"""protect_work and open_work as an artist and a fan would run them: separate `ape run`
processes, the operators' key services of the gated tests, one embedded IPFS store."""

from __future__ import annotations

import json

from tests.gated.conftest import gated_store, key_services  # noqa: F401  (fixtures)
from tutti.licenses import RIGHTS, buy_license, create_offer
from tutti.works import Share, register_work

CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"


def test_artist_protects_fan_opens_after_buying(run, tutti, artist, fan, key_services, gated_store, tmp_path):
    master = tmp_path / "song.wav"
    master.write_bytes(b"RIFF" + bytes(range(256)) * 400)
    ipfs = f"file://{gated_store.directory}"
    services = [arg for _, url in key_services.values() for arg in ("--key-service", url)]
    done = run("protect_work", "--file", str(master), "--title", "Song", "--ipfs", ipfs, *services)
    assert "key split 2-of-3" in done.stdout
    published = json.loads(done.stdout.strip().splitlines()[-1])
    work = register_work(tutti, artist, metadata_cid=published["metadata_cid"],
                         content_hash=bytes.fromhex(published["content_hash"][2:]),
                         contributors=[Share(artist.address, 10_000)])

    out = tmp_path / "opened"
    refused = run("open_work", "--work", str(work.work_id), "--out", str(out), "--ipfs", ipfs, *services,
                  account="TEST::4", check=False)
    assert refused.returncode != 0 and "holds no valid licence" in refused.stderr
    assert "Traceback" not in refused.stderr

    offer_id, _ = create_offer(tutti, artist, work_id=work.work_id, rights=RIGHTS["personal"], price=0,
                               supply_cap=1, terms_cid=CID)
    buy_license(tutti, fan, offer_id)
    opened = run("open_work", "--work", str(work.work_id), "--out", str(out), "--ipfs", ipfs, *services,
                 account="TEST::4")
    assert "hashes match the manifest" in opened.stdout
    assert (out / "song.wav").read_bytes() == master.read_bytes()
