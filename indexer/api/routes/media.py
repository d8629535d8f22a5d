"""The room directory: hosts announce the media nodes serving their rooms, clients list them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response

from indexer import room_directory
from indexer.api.deps import Db, IntId, WallClock
from indexer.api.models import MediaNode, MediaNodeAnnouncement, Problem
from indexer.api.routes.passes import load_room
from indexer.api.routing import ThreadedRoute
from tutti.media_directory import MAX_TTL_SECONDS, InvalidAnnouncement, NodeAnnouncement

router = APIRouter(prefix="/rooms/{room_id}/media-nodes", tags=["room directory"], route_class=ThreadedRoute)

ANNOUNCE_RESPONSES = {
    200: {"model": MediaNode, "description": "Already listed until the same time or later: the listing is kept "
                                             "(a replayed older announcement cannot shorten it)."},
    400: {"model": Problem, "description": "A bad URL, an expiry in the past or more than "
                                           f"{MAX_TTL_SECONDS} s ahead, or a signature that recovers to no one."},
    403: {"model": Problem, "description": "Signed by someone other than the room's host (who signed, who hosts)."},
    404: {"model": Problem, "description": "No such room in the index (yet)."},
    409: {"model": Problem, "description": "The room is over: no one can join it."},
    429: {"model": Problem, "description": f"The room already lists {room_directory.MAX_NODES_PER_ROOM} live "
                                           "nodes; `Retry-After` says when the first expires.",
          "headers": {"Retry-After": {"description": "Seconds until a listed node expires.",
                                      "schema": {"type": "integer"}}}},
}


@router.post("", status_code=201, response_model=MediaNode, responses=ANNOUNCE_RESPONSES,
             summary="Announce a media node serving a room (signed by the room's host)")
def announce_media_node(db: Db, now: WallClock, response: Response, room_id: Annotated[IntId, Path()],
                        body: MediaNodeAnnouncement):
    """List ``url`` as serving room ``room_id`` until ``expires_at`` (wall-clock unix seconds, at most
    an hour ahead). The body is the EIP-712 ``MediaNode(uint256 roomId,string url,uint64 expiresAt)``
    signed by the room's host in the domain ``{name: "Tutti media directory", version: "1", chainId,
    verifyingContract: AccessPass}`` (``tutti.media_directory.sign_announcement``). Announcing the same
    URL again with a later expiry refreshes the listing."""
    room = load_room(db, room_id)
    announcement = NodeAnnouncement(room_id, body.url, body.expires_at)
    try:
        node, stored = room_directory.announce(db, room, announcement, bytes.fromhex(body.signature[2:]), now)
    except (InvalidAnnouncement, room_directory.MalformedSignature) as exc:
        raise HTTPException(400, detail=str(exc)) from None
    except room_directory.NotTheHost as exc:
        raise HTTPException(403, detail=str(exc)) from None
    except room_directory.RoomOver as exc:
        raise HTTPException(409, detail=str(exc)) from None
    except room_directory.DirectoryFull as exc:
        raise HTTPException(429, detail=str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    if not stored:
        response.status_code = 200
    return MediaNode(**node)


@router.get("", response_model=list[MediaNode], summary="The media nodes serving a room, newest announcement first")
def list_media_nodes(db: Db, now: WallClock, room_id: Annotated[IntId, Path()]):
    """The room's listings that have not expired by the wall clock, whoever asks. Each was signed by
    the room's host; the signature is included for clients that check it themselves."""
    return [MediaNode(**node) for node in room_directory.live_nodes(db, load_room(db, room_id), now)]
