"""``tutti-media``: run a media node (``serve``) or a Python musician client (``join``)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from tutti.logs import logging_options
from tutti.settings import get_settings, secret_option, setting
from tutti.media_directory import MAX_TTL_SECONDS

from .directory import DEFAULT_TTL_SECONDS

logger = logging.getLogger(__name__)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@logging_options()
def main() -> None:
    """Tutti media node: WebRTC jam sessions with personal binaural mixes."""


@main.command()
@click.option("--room", type=click.IntRange(min=0), required=True, help="AccessPass room id served.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8750, show_default=True)
@click.option("--domain", default=None, help="SIWE domain clients sign for [default: HOST:PORT].")
@click.option("--rpc-url", default=setting("rpc_url"),
              help="JSON-RPC endpoint of the chain holding the AccessPass contract [default: TUTTI_RPC_URL, "
                   "else http://127.0.0.1:8545].")
@click.option("--pass-contract", default=None,
              help="AccessPass address [default: 'AccessPass' from the address book].")
@click.option("--deployments-dir", type=click.Path(path_type=Path), default=None,
              help="Address-book folder [default: TUTTI_DEPLOYMENTS_DIR / settings].")
@click.option("--network", default="ethereum:local", show_default=True,
              help="Address book to read: ecosystem:network.")
@click.option("--max-participants", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--frame-ms", type=click.Choice(["5", "10", "20"]), default="10", show_default=True,
              help="Opus frame and mixer block length.")
@click.option("--jitter-frames", type=click.IntRange(1, 8), default=1, show_default=True,
              help="At a missing packet, wait for up to N-1 later ones before concealing it "
                   "(adapts to reordering from there); raise it on networks that reorder.")
@click.option("--pass-check-seconds", type=click.FloatRange(0.2, 3600), default=15.0, show_default=True,
              help="Every participant's pass is checked again at each new block, and at the latest this often.")
@click.option("--join-rate", type=click.FloatRange(0.01, 1000), default=1.0, show_default=True,
              help="Joins per second per signed-in account after the burst.")
@click.option("--join-burst", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--ice-server", "ice_servers", multiple=True, metavar="URL",
              help="STUN/TURN server (stun:HOST:PORT, turn:HOST:PORT?transport=udp), repeatable [env "
                   "TUTTI_ICE_SERVERS]; TURN credentials from TUTTI_TURN_USERNAME / TUTTI_TURN_CREDENTIAL "
                   "or TUTTI_TURN_SECRET.")
@click.option("--relay-only", is_flag=True, help="Relay (TURN) candidates only [env TUTTI_ICE_RELAY_ONLY=1].")
@click.option("--pass-url", default=setting("media.pass_url"),
              help="Where the jam page sends a musician refused for want of a pass (e.g. the web app's room page).")
@click.option("--public-url", default=None,
              help="Base URL clients use to reach this node (announced; SIWE URI) [default: http://HOST:PORT].")
@click.option("--announce", "announce", multiple=True, metavar="INDEXER_URL",
              default=lambda: tuple(setting("media.announce")().split()),
              help="List this node in the room directory of this indexer (repeatable; env TUTTI_MEDIA_ANNOUNCE, "
                   "space-separated).")
@click.option("--announce-ttl", type=click.IntRange(10, MAX_TTL_SECONDS), default=DEFAULT_TTL_SECONDS,
              show_default=True, help="Seconds each announcement stays valid; renewed at half of it.")
@click.option("--host-key", default=None, callback=secret_option("TUTTI_MEDIA_HOST_KEY"),
              help="Private key of the room's host, which signs the announcements: from env TUTTI_MEDIA_HOST_KEY "
                   "or TUTTI_MEDIA_HOST_KEY_FILE only, never typed here.")
@click.option("--janus", default=None, metavar="auto|URL",
              help="Serve an audience through Janus: 'auto' starts Debian's janus on 127.0.0.1 with its own "
                   "configuration; a URL (http://HOST:PORT/janus) uses a running Janus, with --janus-admin and "
                   "the secrets in env TUTTI_JANUS_ADMIN_SECRET and TUTTI_JANUS_STREAMING_ADMIN_KEY.")
@click.option("--janus-admin", default=None, metavar="URL", help="That Janus' Admin API (http://HOST:PORT/admin).")
@click.option("--janus-public-url", default=None, metavar="URL",
              help="The Janus API URL listeners are given [default: the one the node uses].")
@click.option("--audience-mix", type=click.Choice(["binaural", "stereo"]), default="binaural", show_default=True,
              help="What the audience hears: one binaural seat, or plain stereo panning.")
@click.option("--max-listeners", type=click.IntRange(1, 100_000), default=500, show_default=True)
def serve(room: int, host: str, port: int, domain: str | None, rpc_url: str, pass_contract: str | None,
          deployments_dir: Path | None, network: str, max_participants: int, frame_ms: str,
          jitter_frames: int, pass_check_seconds: float, join_rate: float, join_burst: int,
          ice_servers: tuple[str, ...], relay_only: bool, pass_url: str | None, public_url: str | None, announce: tuple[str, ...], announce_ttl: int,
          host_key: str | None, janus: str | None, janus_admin: str | None, janus_public_url: str | None,
          audience_mix: str, max_listeners: int) -> None:
    """Serve one room: SIWE sign-in, on-chain pass checks, WebRTC, the browser client.

    With --announce, the node lists itself in the indexer's room directory, signed by the room's
    host (--host-key), so that clients find it by room id (`tutti-media join --indexer`)."""
    from aiohttp import web
    from eth_account import Account

    from tutti.media_directory import InvalidAnnouncement, check_url
    from tutti.settings import get_settings

    from .auth import NonceStore, SignInVerifier
    from .directory import Announcer
    from .lowlatency import configure_aiortc
    from .mixer import HrtfLibrary, RoomMixer
    from .passes import PassCheckError, Web3PassChecker, pass_contract_from_book
    from .metrics import mount_metrics
    from .room import Room
    from .server import MediaNode, NodeLimits

    if public_url is None:
        if announce and host in ("0.0.0.0", "::", ""):
            raise click.UsageError(f"--host {host!r} is no address clients can use: give --public-url to announce")
        public_url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    try:
        public_url = check_url(public_url)
    except InvalidAnnouncement as exc:
        raise click.BadParameter(str(exc), param_hint="--public-url") from None
    host_account = None
    if announce:
        if not host_key:
            raise click.UsageError("--announce needs the room host's key: --host-key or TUTTI_MEDIA_HOST_KEY")
        try:
            host_account = Account.from_key(host_key)
        except Exception:  # noqa: BLE001 - never echo what was given: it may be a key with a typo
            raise click.BadParameter("not a private key (32 bytes, hex)", param_hint="--host-key") from None
    latency = configure_aiortc(int(frame_ms), jitter_frames)
    ice = _ice(ice_servers, relay_only)
    janus_endpoints, janus_process = _janus(janus, janus_admin, janus_public_url)
    book_chain_id = None
    if pass_contract is None:
        directory = deployments_dir or get_settings().deployments_dir
        try:
            pass_contract, book_chain_id = pass_contract_from_book(directory, network)
        except Exception as exc:  # noqa: BLE001
            raise click.ClickException(f"no AccessPass address: {exc}; pass --pass-contract") from exc

    async def make_app() -> web.Application:
        checker = Web3PassChecker(rpc_url, pass_contract)
        try:
            chain_id = await checker.chain_id()
            await checker.check_contract()
        except PassCheckError as exc:
            raise click.ClickException(str(exc)) from exc
        if book_chain_id is not None and book_chain_id != chain_id:
            raise click.ClickException(f"address book is for chain {book_chain_id}, {rpc_url} is "
                                       f"chain {chain_id}")
        announcer = None
        if host_account is not None:
            try:
                room_host = await checker.room_host(room)
            except PassCheckError as exc:
                raise click.ClickException(f"cannot announce room {room}: {exc}") from exc
            if room_host != host_account.address:
                raise click.ClickException(f"--host-key is {host_account.address}, but room {room}'s host is "
                                           f"{room_host}: only the host's key can announce the room")
            announcer = Announcer(announce, room, public_url, host_account.key, chain_id, pass_contract,
                                  ttl=announce_ttl)
        hrtfs = HrtfLibrary()
        await hrtfs.prepare(HrtfLibrary.DEFAULT)
        mixer = RoomMixer(latency.frame_samples, hrtfs)
        the_room = Room(room, checker, mixer, max_participants=max_participants,
                        pass_check_seconds=pass_check_seconds, ice=ice)
        # The SIWE domain is what clients reach: the public URL's authority (HOST:PORT by default).
        verifier = SignInVerifier(domain or urlsplit(public_url).netloc, chain_id, NonceStore(),
                                  uri=public_url)
        node = MediaNode(the_room, verifier, latency,
                         NodeLimits(max_participants=max_participants, join_rate=join_rate,
                                    join_burst=join_burst), origin=public_url, pass_url=pass_url)
        logger.info("room %d on chain %d, AccessPass %s; listening on http://%s:%d, public URL %s", room,
                    chain_id, pass_contract, host, port, public_url)
        app = node.app()
        mount_metrics(app, node)  # /metrics and /readyz (media/metrics.py)
        if announcer is not None:
            logger.info("room %d: announcing %s to %s every %d s (signed by host %s)", room, public_url,
                        ", ".join(announce), announce_ttl // 2, host_account.address)
            app.on_startup.append(announcer.start)
            app.on_cleanup.append(announcer.stop)
        if janus_endpoints is not None:
            from .audience import Audience, mount_audience
            mount_audience(app, node, Audience(the_room, janus_endpoints, mix=audience_mix,
                                               max_listeners=max_listeners))
        return app

    try:
        web.run_app(make_app(), host=host, port=port, print=None, access_log=None)
    finally:
        if janus_process is not None:
            janus_process.stop()


def _janus(janus: str | None, admin: str | None, public_url: str | None):
    """(endpoints, our own Janus process or None) for ``--janus``; (None, None) without it."""
    from .janus import JanusEndpoints, JanusError, JanusProcess

    if janus is None:
        if admin or public_url:
            raise click.UsageError("--janus-admin and --janus-public-url need --janus")
        return None, None
    if janus == "auto":
        process = JanusProcess()
        try:
            endpoints = process.start()
        except JanusError as exc:
            raise click.ClickException(str(exc)) from None
        if public_url:
            endpoints = JanusEndpoints(**{**endpoints.__dict__, "public_url": public_url})
        return endpoints, process
    settings = get_settings().janus
    secret, key = (value.get_secret_value() if value else None
                   for value in (settings.admin_secret, settings.streaming_admin_key))
    if not (janus.startswith(("http://", "https://")) and admin and secret and key):
        raise click.UsageError("--janus URL needs --janus-admin URL and env TUTTI_JANUS_ADMIN_SECRET and "
                               "TUTTI_JANUS_STREAMING_ADMIN_KEY (or --janus auto)")
    return JanusEndpoints(janus, admin, secret, key, public_url), None


def _node_url(url: str | None, indexer: str | None, room: int) -> str:
    """The node to join: ``--url``, or the room's newest live node in ``--indexer``'s directory."""
    from .directory import DirectoryError, find_node

    if url and indexer:
        raise click.UsageError("give the node (--url) or where to look it up (--indexer), not both")
    if indexer:
        try:
            url = asyncio.run(find_node(indexer, room))
        except DirectoryError as exc:
            raise click.ClickException(str(exc)) from None
        logger.info("room %d: found %s in the directory at %s", room, url, indexer)
    return (url or "http://127.0.0.1:8750").rstrip("/")


@main.command("join")
@click.option("--url", default=None, help="The node's base URL [default: http://127.0.0.1:8750].")
@click.option("--indexer", default=None, metavar="INDEXER_URL",
              help="Instead of --url: join the room's newest live node in this indexer's room directory.")
@click.option("--room", type=click.IntRange(min=0), required=True)
@click.option("--key", default=None, callback=secret_option("TUTTI_MEDIA_KEY", required=True),
              help="Private key that signs the SIWE message: from env TUTTI_MEDIA_KEY or TUTTI_MEDIA_KEY_FILE "
                   "only, never typed here.")
@click.option("--send", "send", default="noise:1", show_default=True,
              help="none | noise:<seed> | tone:<hz> | file.npy | file.wav (48 kHz).")
@click.option("--seconds", type=click.FloatRange(0.1, 3600), default=5.0, show_default=True)
@click.option("--record", type=click.Path(path_type=Path), default=None,
              help="Save the received mix (and timing) to this .npz file.")
@click.option("--ice-server", "ice_servers", multiple=True, metavar="URL",
              help="STUN/TURN server (stun:HOST:PORT, turn:HOST:PORT?transport=udp), repeatable [env "
                   "TUTTI_ICE_SERVERS]; TURN credentials from TUTTI_TURN_USERNAME / TUTTI_TURN_CREDENTIAL "
                   "or TUTTI_TURN_SECRET.")
@click.option("--relay-only", is_flag=True, help="Relay (TURN) candidates only [env TUTTI_ICE_RELAY_ONLY=1].")
@click.option("--frame-ms", type=click.Choice(["5", "10", "20"]), default="10", show_default=True)
def join_command(url: str | None, indexer: str | None, room: int, key: str, send: str, seconds: float,
                 record: Path | None, ice_servers: tuple[str, ...], relay_only: bool, frame_ms: str) -> None:
    """Join as a musician: play a signal, record the personal mix, print a JSON summary."""
    import numpy as np

    from .client import JoinError, join, load_signal
    from .lowlatency import configure_aiortc

    url = _node_url(url, indexer, room)
    latency = configure_aiortc(int(frame_ms), 1)
    signal = load_signal(send, seconds=max(seconds, 1.0) + 1.0)
    try:
        session = asyncio.run(join(url, room, key, signal, seconds, latency.frame_samples,
                                   ice=_ice(ice_servers, relay_only)))
    except JoinError as exc:
        click.echo(json.dumps({"url": url, "refused": exc.status, "reason": exc.reason}))
        sys.exit(3)
    if record is not None:
        np.savez(record, audio=session.audio,
                 sent_at=np.asarray(getattr(session, "sent_at", []), dtype=np.float64).reshape(-1, 2),
                 received_at=np.asarray(session.received_at, dtype=np.float64).reshape(-1, 2))
    click.echo(json.dumps({"url": url, "id": session.id, "address": session.address, "ended": session.ended,
                           "samples": int(len(session.audio)),
                           "peers_seen": sorted({p["id"] for m in session.messages if m.get("type") == "state"
                                                 for p in m["participants"]})}))


@main.command("listen")
@click.option("--url", default="http://127.0.0.1:8750", show_default=True, help="The node's base URL.")
@click.option("--room", type=click.IntRange(min=0), required=True)
@click.option("--key", default=None, callback=secret_option("TUTTI_MEDIA_KEY", required=True),
              help="Private key that signs the SIWE message: from env TUTTI_MEDIA_KEY or TUTTI_MEDIA_KEY_FILE "
                   "only, never typed here.")
@click.option("--seconds", type=click.FloatRange(0.1, 86400), default=5.0, show_default=True)
@click.option("--record", type=click.Path(path_type=Path), default=None,
              help="Save what was heard (and its timing) to this .npz file.")
@click.option("--ice-server", "ice_servers", multiple=True, metavar="URL", help="STUN/TURN server, as for join.")
@click.option("--relay-only", is_flag=True, help="Relay (TURN) candidates only.")
def listen_command(url: str, room: int, key: str, seconds: float, record: Path | None,
                   ice_servers: tuple[str, ...], relay_only: bool) -> None:
    """Listen to a room's performance through its Janus SFU (sign in with a pass, no playing)."""
    import numpy as np

    from .client import JoinError
    from .listener import listen
    from .lowlatency import configure_aiortc

    import aiohttp

    configure_aiortc(10, 1)  # our jitter buffer and Opus concealment on the receive side
    try:
        session = asyncio.run(listen(url.rstrip("/"), room, key, seconds, ice=_ice(ice_servers, relay_only)))
    except JoinError as exc:
        click.echo(json.dumps({"url": url, "refused": exc.status, "reason": exc.reason}))
        sys.exit(3)
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        raise click.ClickException(f"cannot reach {url}: {type(exc).__name__}: {exc}") from None
    if record is not None:
        np.savez(record, audio=session.audio,
                 received_at=np.asarray(session.received_at, dtype=np.float64).reshape(-1, 2))
    click.echo(json.dumps({"url": url, "id": session.id, "address": session.address, "ended": session.ended,
                           "samples": int(len(session.audio))}))


@main.command("accompany")
@click.option("--url", default=None, help="The node's base URL [default: http://127.0.0.1:8750].")
@click.option("--indexer", default=None, metavar="INDEXER_URL",
              help="Instead of --url: join the room's newest live node in this indexer's room directory.")
@click.option("--room", type=click.IntRange(min=0), required=True)
@click.option("--key", default=None, callback=secret_option("TUTTI_MEDIA_KEY", required=True),
              help="The accompanist's own private key, holding a pass to the room: from env TUTTI_MEDIA_KEY or "
                   "TUTTI_MEDIA_KEY_FILE only, never typed here.")
@click.option("--seconds", type=click.FloatRange(min=0), default=0, show_default=True,
              help="How long to play; 0: until the session ends (the pass expires, the node stops).")
@click.option("--lead-ms", type=click.FloatRange(0, 200), default=None,
              help="Play each beat this much before it is heard, for the trip through the node and back "
                   "[default: measured: the least data-channel round trip to the node plus a frame each way].")
@click.option("--ice-server", "ice_servers", multiple=True, metavar="URL",
              help="STUN/TURN server, repeatable [env TUTTI_ICE_SERVERS] (as for join).")
@click.option("--relay-only", is_flag=True, help="Relay (TURN) candidates only [env TUTTI_ICE_RELAY_ONLY=1].")
@click.option("--frame-ms", type=click.Choice(["5", "10", "20"]), default="10", show_default=True)
def accompany_command(url: str | None, indexer: str | None, room: int, key: str, seconds: float, lead_ms: float | None,
                      ice_servers: tuple[str, ...], relay_only: bool, frame_ms: str) -> None:
    """Join as the live AI accompanist: follow the room's tempo and chords, play bass and chords.

    Prints a JSON summary when it leaves: the tempo and chord it last followed and its timeline
    (beats heard, chords recognized, bass strikes; times on the machine's monotonic clock)."""
    from .accompanist import accompany
    from .client import JoinError
    from .lowlatency import configure_aiortc

    url = _node_url(url, indexer, room)
    latency = configure_aiortc(int(frame_ms), 1)
    logger.info("room %d: accompanying at %s", room, url)
    try:
        summary = asyncio.run(accompany(url, room, key, seconds or None, lead=None if lead_ms is None else lead_ms / 1000,
                                        frame_samples=latency.frame_samples, ice=_ice(ice_servers, relay_only)))
    except JoinError as exc:
        click.echo(json.dumps({"url": url, "refused": exc.status, "reason": exc.reason}))
        sys.exit(3)
    except aiohttp_errors() as exc:
        raise click.ClickException(f"cannot reach {url}: {exc}") from None
    click.echo(json.dumps(summary))


def aiohttp_errors() -> tuple[type[BaseException], ...]:
    import aiohttp
    return (aiohttp.ClientError,)


def _ice(urls: tuple[str, ...], relay_only: bool):
    from .ice import IceConfigError, ice_settings
    try:
        return ice_settings(urls, relay_only)
    except IceConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--ice-server") from None


if __name__ == "__main__":
    main(prog_name=os.environ.get("TUTTI_MEDIA_PROG", "tutti-media"))
