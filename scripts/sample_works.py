"""Seed a fresh local deployment for the web app: three sample works (one a remix), a room, token
holders with delegated votes and bonded oracle operators. Run by the one-command platform
(`make platform`) after `ape run deploy`; prints the room id on its last line."""

import click
from ape.cli import ConnectedProviderCommand

from tutti.bonds import bond
from tutti.chain import Tutti
from tutti.ipfs_cli import open_configured_store
from tutti.music import corpus_midi
from tutti.passes import chain_now, create_room
from tutti.results import canonical_json
from tutti.script_support import user_errors
from tutti.works import Share, register_work
from eth_utils import keccak

ETHER = 10**18
TOKEN = 10**18
#: (title, artist name, corpus piece, licence)
SAMPLES = [
    ("Chorale in F# minor", "The Tutti Choir", "bach/bwv66.6", "CC-BY-4.0"),
    ("Chorale in A major", "The Tutti Choir", "bach/bwv10.7", "CC-BY-SA-4.0"),
]


@click.command(cls=ConnectedProviderCommand, short_help="Seed sample works, a room and voters (local chains)")
@click.option("--operators", default="7,8,9", show_default=True, help="Test accounts that bond as oracle operators.")
def cli(network, operators):
    """Register sample works with their scores on IPFS, open a room, give two holders tokens, bond operators."""
    if not network.is_local:
        raise click.ClickException("samples are for local chains only")
    from ape import accounts

    with user_errors():
        tutti = Tutti.connect()
        team = accounts.test_accounts
        deployer, artist, producer = team[0], team[1], team[2]
        store = open_configured_store()
        works = []
        for title, artist_name, piece, licence in SAMPLES:
            score = corpus_midi(piece)
            score_cid = store.add_bytes(score, cid_version=1)
            metadata = {"name": title, "artist": artist_name, "score": f"ipfs://{score_cid}", "mimeType": "audio/midi",
                        "credits": {"arranger": artist.address, "producer": producer.address}}
            works.append(register_work(
                tutti, artist, metadata_cid=store.add_bytes(canonical_json(metadata), cid_version=1),
                content_hash=keccak(score), license=licence,
                contributors=[Share(artist.address, 7_000), Share(producer.address, 3_000)]))
        remix_score = corpus_midi(SAMPLES[0][2]) + b"remix"
        remix_meta = {"name": "Chorale in F# minor (remix)", "artist": "Producer P", "mimeType": "audio/midi",
                      "score": f"ipfs://{store.add_bytes(remix_score, cid_version=1)}", "credits": {"remix": producer.address}}
        works.append(register_work(
            tutti, producer, metadata_cid=store.add_bytes(canonical_json(remix_meta), cid_version=1),
            content_hash=keccak(remix_score), contributors=[Share(producer.address, 10_000)],
            parents=[Share(str(works[0].work_id), 2_000)]))
        for work in works:
            click.echo(f"work {work.work_id}: split {work.split_id}")

        # Two holders get tokens but not yet votes: delegating is their first step in the app.
        for holder in (team[5], team[6]):
            tutti.token.transfer(holder, 300_000 * TOKEN, sender=deployer)
        for index in operators.split(","):
            bond(tutti, team[int(index)], ETHER)

        now = chain_now()
        room_meta = store.add_bytes(canonical_json({"name": "Friday jam"}), cid_version=1)
        room = create_room(tutti, artist, split_id=works[0].split_id, price=ETHER // 20, supply_cap=50,
                           valid_from=now, valid_until=now + 24 * 3600, metadata_cid=room_meta, transferable=False)
        click.echo(f"room {room.room_id}")
