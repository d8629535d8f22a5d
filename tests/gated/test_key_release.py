"""Gated content as attacks: who gets a work's key from the operators' key services, and what a
liar, a replayer, an expired licence or one colluding operator can do (nothing useful)."""

from __future__ import annotations

import httpx
import pytest
from ape import chain

from oracle.keys import KeyService, ThreadedServer, create_app
from tutti.gated.client import AccessDenied, ape_signer, decrypt_file, gather_key
from tutti.gated.envelope import DecryptionError, decrypt_bytes
from tutti.gated.manifest import share_context
from tutti.gated.requests import KeyRequest, request_digest, signable
from tutti.gated.sealing import SealError, new_private_key, open_sealed, public_bytes
from tutti.gated.sharing import KeyShare, combine_key, key_commitment
from tutti.licenses import RIGHTS, buy_license, create_offer
from tutti.net import free_port
from tutti.passes import buy_pass, chain_now, create_room

from .conftest import THRESHOLD

DAY = 86_400


def gather(tutti, gated, account, services=None, room_id=0):
    return gather_key(gated.protected.manifest, gated.work_id, account.address, ape_signer(account),
                      services or gated.services, chain.chain_id, tutti.licenses.address, room_id=room_id)


def streaming_licence(tutti, artist, buyer, gated, duration=0):
    offer_id, _ = create_offer(tutti, artist, work_id=gated.work_id, rights=RIGHTS["streaming"], price=10**16,
                               supply_cap=10, terms_cid="bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",
                               duration=duration)
    return buy_license(tutti, buyer, offer_id)


def test_fan_without_licence_is_refused_by_every_operator(tutti, fan, gated_work):
    with pytest.raises(AccessDenied) as refused:
        gather(tutti, gated_work, fan)
    assert all(answer.startswith("HTTP 403") and "holds no valid licence" in answer
               for answer in refused.value.answers.values())


def test_fan_with_licence_rebuilds_key_and_decrypts(tutti, artist, fan, gated_work, gated_store, tmp_path):
    streaming_licence(tutti, artist, fan, gated_work)
    gathered = gather(tutti, gated_work, fan)
    assert list(gathered.answers.values()).count("ok") == 3 and not gathered.liars
    out = decrypt_file(gated_store, gated_work.protected.manifest, gathered.key, "master.wav", tmp_path / "out.wav")
    assert out.read_bytes() == gated_work.plaintext


def test_owner_and_contributor_need_no_licence(tutti, artist, producer, gated_work):
    for account in (artist, producer):
        assert gather(tutti, gated_work, account).key == gated_work.protected.key


def test_pass_holder_of_a_room_paying_the_work_is_admitted(tutti, artist, vocalist, gated_work):
    now = chain_now()
    room = create_room(tutti, artist, split_id=gated_work.split_id, price=0, supply_cap=5, valid_from=now,
                       valid_until=now + DAY, metadata_cid="bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4")
    with pytest.raises(AccessDenied):
        gather(tutti, gated_work, vocalist, room_id=room.room_id)
    buy_pass(tutti, vocalist, room.room_id)
    assert gather(tutti, gated_work, vocalist, room_id=room.room_id).key == gated_work.protected.key


def test_expired_licence_stops_new_releases(tutti, artist, fan, gated_work):
    bought = streaming_licence(tutti, artist, fan, gated_work, duration=DAY)
    assert gather(tutti, gated_work, fan).key == gated_work.protected.key
    chain.pending_timestamp = bought.valid_until + 1
    chain.mine()
    with pytest.raises(AccessDenied) as refused:
        gather(tutti, gated_work, fan)
    assert all("HTTP 403" in answer for answer in refused.value.answers.values())


def test_replayed_request_is_refused_and_its_answer_useless_to_others(tutti, artist, fan, producer, gated_work):
    streaming_licence(tutti, artist, fan, gated_work)
    ephemeral = new_private_key()
    request = KeyRequest.new(gated_work.work_id, fan.address, public_bytes(ephemeral))
    signature = ape_signer(fan)(signable(request, chain.chain_id, tutti.licenses.address))
    body = {**request.to_json(), "signature": "0x" + signature.hex()}
    url = gated_work.services[0]

    first = httpx.post(f"{url}/v1/keys/{gated_work.work_id}", json=body, timeout=10)
    assert first.status_code == 200
    # An eavesdropper holding the fan's request and the answer cannot open the share: it is sealed
    # to the fan's ephemeral key.
    context = request_digest(request, chain.chain_id, tutti.licenses.address)
    with pytest.raises(SealError):
        open_sealed(new_private_key(), bytes.fromhex(first.json()["sealed"][2:]), context)
    # Sent again (to get a fresh answer), the request is refused: its nonce is spent.
    again = httpx.post(f"{url}/v1/keys/{gated_work.work_id}", json=body, timeout=10)
    assert again.status_code == 409 and "replay" in again.json()["detail"]
    # With the eavesdropper's own ephemeral key swapped in, the signature no longer matches.
    forged = {**body, "ephemeral_key": "0x" + public_bytes(new_private_key()).hex(),
              "nonce": "0x" + "11" * 32}
    assert httpx.post(f"{url}/v1/keys/{gated_work.work_id}", json=forged, timeout=10).status_code == 401
    # Claiming to be the licensee with the eavesdropper's own signature fails too.
    stolen = KeyRequest.new(gated_work.work_id, fan.address, public_bytes(new_private_key()))
    stolen_signature = ape_signer(producer)(signable(stolen, chain.chain_id, tutti.licenses.address))
    response = httpx.post(f"{url}/v1/keys/{gated_work.work_id}",
                          json={**stolen.to_json(), "signature": "0x" + stolen_signature.hex()}, timeout=10)
    assert response.status_code == 401


def test_expired_or_overlong_request_is_refused(tutti, artist, fan, gated_work):
    streaming_licence(tutti, artist, fan, gated_work)
    url = gated_work.services[0]
    for expiry_offset, status in ((-1, 410), (3_600, 400)):
        request = KeyRequest.new(gated_work.work_id, fan.address, public_bytes(new_private_key()))
        request = KeyRequest(request.work_id, request.requester, request.ephemeral_key, request.nonce,
                             request.expiry - 120 + expiry_offset)
        signature = ape_signer(fan)(signable(request, chain.chain_id, tutti.licenses.address))
        response = httpx.post(f"{url}/v1/keys/{gated_work.work_id}",
                              json={**request.to_json(), "signature": "0x" + signature.hex()}, timeout=10)
        assert response.status_code == status, response.text


def test_one_operator_below_threshold_learns_nothing(tutti, operators, key_services, gated_work, gated_store):
    """An operator opens its own sealed share (it holds the key for that); alone it cannot decrypt."""
    service, _ = key_services[operators[0].address]
    manifest = gated_work.protected.manifest
    entry = next(s for s in manifest["shares"] if s["operator"] == operators[0].address)
    own = KeyShare(entry["index"], service.own_share(entry, gated_work.protected.content_hash))
    with pytest.raises(Exception, match="needed"):
        combine_key([own], THRESHOLD)
    guess = own.value  # the best a lone share offers: something that is not the key
    assert key_commitment(guess) != bytes.fromhex(manifest["key_commitment"][2:])
    ciphertext = gated_store.cat(manifest["files"][0]["cid"])
    with pytest.raises(DecryptionError):
        decrypt_bytes(guess, ciphertext)
    # The other operators' sealed shares do not open with this operator's key.
    other = next(s for s in manifest["shares"] if s["operator"] != operators[0].address)
    with pytest.raises(SealError):
        open_sealed(service.private_key, bytes.fromhex(other["sealed"][2:]),
                    share_context(gated_work.protected.content_hash, other["operator"], other["index"]))


class LyingKeyService(KeyService):
    """An injected fault: releases its share with one bit flipped (sealed correctly, so only the
    commitment can tell)."""

    def own_share(self, entry, content_hash):
        share = super().own_share(entry, content_hash)
        return bytes([share[0] ^ 1]) + share[1:]


def test_wrong_share_from_lying_operator_is_detected(tutti, artist, fan, operators, key_services, gated_work):
    streaming_licence(tutti, artist, fan, gated_work)
    honest, _ = key_services[operators[0].address]
    liar = LyingKeyService(honest.operator, honest.identity_signature, honest.private_key, honest.checker,
                           honest.store, honest.nonces.__class__())
    with ThreadedServer(create_app(liar), free_port()) as lying:
        others = [url for address, (_, url) in key_services.items() if address != operators[0].address]
        # The liar plus two honest operators: the liar is named, the key still comes out right.
        gathered = gather(tutti, gated_work, fan, services=[lying.url, *others])
        assert gathered.liars == [lying.url] and gathered.key == gated_work.protected.key
        # The liar plus only one honest operator: refused, never a wrong key.
        with pytest.raises(AccessDenied) as refused:
            gather(tutti, gated_work, fan, services=[lying.url, others[0]])
        assert "does not match its commitment" in refused.value.answers[lying.url]
