"""Constants and attestations shared by the OracleHub tests."""

from __future__ import annotations

from tutti.attestations import Attestation, kind_id

ETHER = 10**18
ANALYZE = kind_id("analyze")
MODEL = bytes.fromhex("11" * 32)
JOB_TIMEOUT = 3600
FEE = 3 * ETHER // 10 + 1  # not divisible by 2: the first agreeing operator gets the extra wei
INPUT_CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
PARAMS = b'{"key": "C"}'
ZERO32 = b"\x00" * 32


def honest(job_id: int) -> Attestation:
    return Attestation(job_id, bytes.fromhex("aa" * 32), "bafyhonestresult", MODEL)


def lying(job_id: int) -> Attestation:
    return Attestation(job_id, bytes.fromhex("bb" * 32), "bafyliarresult", MODEL)


def expire(chain, seconds: int = JOB_TIMEOUT + 1) -> None:
    chain.pending_timestamp += seconds
    chain.mine(1)
