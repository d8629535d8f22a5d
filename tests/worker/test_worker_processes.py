"""Workers in separate processes, as operators run them: a lying operator, crashes at every step,
and an IPFS outage. The chain is the only thing they share besides the IPFS store."""

from __future__ import annotations

import json
import signal
import socket
import threading

import pytest

from oracle.jobs import JobContext, kind_named
from tests.worker.conftest import wait_until
from tests.worker.midi_samples import progression_midi
from tutti.jobs import request_job, wait_for_result
from tutti.results import result_hash

FEE = 3 * 10**16
CADENCE = progression_midi([["C4", "E4", "G4"], ["F4", "A4", "C5"], ["G4", "B4", "D5", "F5"], ["C4", "E4", "G4"]])


def honest_analysis(midi: bytes) -> bytes:
    return kind_named("analyze").run(JobContext(0, 0, midi, {})).files["analysis.json"]


def test_two_honest_workers_outvote_a_liar(tutti, workers, job_store, operators, fan):
    honest_a, honest_b, liar = operators
    cid = job_store.add_bytes(CADENCE, cid_version=1)
    job = request_job(tutti, fan, "analyze", cid, fee=FEE)
    # The liar answers first (a worker that finds a job fulfilled stays silent, by design).
    workers.start("TEST::9", "--fault", "wrong-bytes")
    wait_until(lambda: tutti.hub.attestationOf(job.job_id, liar) != b"\x00" * 32, what="the liar's attestation")
    workers.start("TEST::7")
    workers.start("TEST::8")
    result = wait_for_result(tutti, job_store, job.job_id, timeout=90)

    assert result.files["analysis.json"] == honest_analysis(CADENCE)
    assert json.loads(result.files["analysis.json"])["key"]["name"] == "C major"
    assert sorted(result.operators) == sorted([honest_a.address, honest_b.address])
    assert liar.address in tutti.hub.dissentersOf(job.job_id)[0]
    assert tutti.hub.claimable(liar) == 0
    assert tutti.hub.claimable(honest_a) == tutti.hub.claimable(honest_b) == FEE // 2


@pytest.mark.parametrize("kill_after", ["computed", "signed", "submitting", "broadcast"])
def test_a_worker_killed_mid_job_resumes_without_a_second_transaction(
    tutti, workers, job_store, operators, fan, kill_after
):
    operator = operators[0]
    cid = job_store.add_bytes(CADENCE, cid_version=1)
    nonce_before = operator.nonce
    job = request_job(tutti, fan, "analyze", cid, fee=FEE)

    crashed = workers.start("TEST::7", "--kill-after", kill_after)
    assert crashed.wait(timeout=90) == -signal.SIGKILL
    workers.start("TEST::7")  # same journal, no fault
    wait_until(lambda: tutti.hub.attestationOf(job.job_id, operator) != b"\x00" * 32, what="the attestation")

    attestations = [log for log in tutti.hub.AttestationSubmitted.range(tutti.book.start_block, None)
                    if log.jobId == job.job_id and log.operator == operator.address]
    assert len(attestations) == 1
    wait_until(lambda: operator.nonce == nonce_before + 1, timeout=10, what="the nonce")
    assert operator.nonce == nonce_before + 1  # exactly one transaction was ever sent
    workers.start("TEST::8")
    assert wait_for_result(tutti, job_store, job.job_id, timeout=60).files["analysis.json"] == honest_analysis(CADENCE)


class Gate:
    """A TCP relay to the IPFS node that can be closed: an outage injected on purpose."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listener.close()  # nothing listens: connections are refused until open()
        self._server = None

    def open(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        if self._server:
            self._server.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def test_a_worker_survives_an_unreachable_ipfs_node(tutti, workers, ipfs_node_url, fan):
    from tutti.ipfs import open_store

    node = open_store(ipfs_node_url)
    cid = node.add_bytes(CADENCE, cid_version=1)
    gate = Gate(int(ipfs_node_url.rsplit(":", 1)[1]))
    try:
        job = request_job(tutti, fan, "analyze", cid, fee=FEE)
        for account in ("TEST::7", "TEST::8"):
            workers.start(account, ipfs=f"http://127.0.0.1:{gate.port}")
        wait_until(lambda: "retrying in" in workers.log("TEST::7"), what="a failed IPFS attempt")
        assert tutti.hub.job(job.job_id).status == 1  # still open: nothing attested without the input

        gate.open()
        result = wait_for_result(tutti, node, job.job_id, timeout=90)
        assert result.files["analysis.json"] == honest_analysis(CADENCE)
        assert result_hash(result.files) == result.result_hash
    finally:
        gate.close()
