"""Who may read a gated work, asked of the chain (web3, ABIs from the build).

Allowed: the work's owner, a contributor of its split, the holder of a licence of the work in
force now (any rights), or, when the request names a room, the holder of a valid pass to a room
whose sales pay the work's split. Each check is a view call at the latest block.
"""

from __future__ import annotations

import json
from functools import cached_property

from eth_utils import to_checksum_address
from web3 import HTTPProvider, Web3

from tutti.addressbook import AddressBook
from tutti.settings import PROJECT_ROOT

BUILD_FILE = PROJECT_ROOT / ".build" / "__local__.json"
_CONTRACTS = ("ContentRegistry", "RoyaltySplitter", "LicenseOffers", "AccessPass")


class AccessChecker:
    """On-chain access rules for gated works of one deployment."""

    def __init__(self, rpc_url: str, book: AddressBook):
        self.book = book
        self.w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
        abis = {name: ct["abi"] for name, ct in json.loads(BUILD_FILE.read_text())["contractTypes"].items()}
        self._contracts = {name: self.w3.eth.contract(address=book.address(name), abi=abis[name])
                           for name in _CONTRACTS}

    @cached_property
    def chain_id(self) -> int:
        return self.w3.eth.chain_id

    @property
    def licenses_address(self) -> str:
        return self.book.address("LicenseOffers")

    def work(self, work_id: int) -> dict:
        w = self._contracts["ContentRegistry"].functions.work(work_id).call()
        return {"metadata_cid": w[0], "content_hash": bytes(w[1]), "split_id": w[5]}

    def denial(self, work_id: int, account: str, room_id: int = 0) -> str | None:
        """Why ``account`` may not read work ``work_id`` now, or None if it may."""
        account = to_checksum_address(account)
        registry = self._contracts["ContentRegistry"].functions
        if work_id <= 0 or work_id > registry.workCount().call():
            return f"work {work_id} does not exist"
        if registry.ownerOf(work_id).call() == account:
            return None
        split_id = self.work(work_id)["split_id"]
        accounts, _ = self._contracts["RoyaltySplitter"].functions.recipientsOf(split_id).call()
        if account in {to_checksum_address(a) for a in accounts}:
            return None
        if self._contracts["LicenseOffers"].functions.hasValidLicense(work_id, account, 0).call():
            return None
        if room_id:
            passes = self._contracts["AccessPass"].functions
            if room_id > passes.roomCount().call():
                return f"room {room_id} does not exist"
            if passes.room(room_id).call()[1] != split_id:
                return f"room {room_id} does not pay work {work_id}'s split"
            if passes.hasValidPass(room_id, account).call():
                return None
            return f"{account} holds no valid licence of work {work_id} and no valid pass to room {room_id}"
        return f"{account} holds no valid licence of work {work_id} (and is neither its owner nor a contributor)"
