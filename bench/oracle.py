"""Oracle benchmark: request-to-fulfilment latency of `analyze` jobs with a 2-of-3 quorum on anvil,
and the gas of each kind of attestation.

    source bin/env && python bench/oracle.py [--jobs 20] [--poll-interval 0.2]

Starts its own anvil (ape-foundry, free port), deploys the system with three operators and k = 2,
starts three `tutti-oracle run` worker processes (separate processes, as operators run them)
sharing an embedded IPFS store, then requests jobs one after another. Latency is measured from the
requestJob receipt to the block in which the job is seen fulfilled (polled every 20 ms); it is
dominated by the workers' poll interval and each worker's process of fetching, analysing with
music21, pinning, signing and submitting.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from tutti.net import free_port

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20, help="jobs to time (default 20)")
    parser.add_argument("--poll-interval", type=float, default=0.2, help="workers' chain poll interval, s")
    args = parser.parse_args()

    os.environ["APE_FOUNDRY_HOST"] = f"http://127.0.0.1:{free_port()}"
    from ape import accounts, chain, networks
    from ape.logging import logger as ape_logger

    from tutti.music import corpus_midi as chorale_midi
    from tutti.deployment import DeployParams, deploy_system
    from tutti.ipfs import open_store
    from tutti.jobs import request_job

    ape_logger.set_level("ERROR")
    work = Path(tempfile.mkdtemp(prefix="tutti-bench-oracle-"))
    with networks.parse_network_choice("ethereum:local:foundry"):
        team = accounts.test_accounts
        operators = [team[7], team[8], team[9]]
        params = DeployParams(oracle_operators=tuple(op.address for op in operators), oracle_quorum=2)
        tutti = deploy_system(team[0], params)
        tutti.book.save(work / "deployments")
        env = dict(os.environ, TUTTI_DEPLOYMENTS_DIR=str(work / "deployments"), TUTTI_DATA_DIR=str(work / "data"))
        store = open_store(f"file://{work / 'data' / 'ipfs'}")
        workers = [
            subprocess.Popen(
                [str(Path(sys.executable).parent / "tutti-oracle"), "run", "--network", "ethereum:local:foundry",
                 "--account", f"TEST::{index}", "--poll-interval", str(args.poll_interval),
                 "--journal", str(work / f"worker{index}.sqlite")],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for index in (7, 8, 9)
        ]
        try:
            midi = chorale_midi("bach/bwv66.6")
            requester = team[4]
            latencies: list[float] = []
            job_ids: list[int] = []
            time.sleep(4)  # workers start up (ape import, connect) before the clock matters
            for n in range(args.jobs + 1):  # the first job warms every worker up and is not counted
                cid = store.add_bytes(midi + bytes([n]), cid_version=1)  # distinct inputs, same music
                job = request_job(tutti, requester, "analyze", cid, {"window_beats": 1})
                started = time.perf_counter()
                while tutti.hub.job(job.job_id).status != 2:
                    if time.perf_counter() - started > 120:
                        raise SystemExit(f"job {job.job_id} not fulfilled after 120 s")
                    time.sleep(0.02)
                if n:
                    latencies.append(time.perf_counter() - started)
                    job_ids.append(job.job_id)
            gas_first, gas_quorum, gas_late = [], [], []
            for log in tutti.hub.AttestationSubmitted.range(tutti.book.start_block, None):
                if log.jobId not in job_ids:
                    continue
                receipt = chain.provider.get_receipt(log.transaction_hash)
                fulfilled = any(e.event_name == "JobFulfilled" for e in receipt.events)
                dissent = any(e.event_name == "AttestationDissented" for e in receipt.events)
                (gas_quorum if fulfilled else gas_late if dissent else gas_first).append(receipt.gas_used)
        finally:
            for process in workers:
                process.kill()
                process.wait()

    print(f"analyze jobs, 2-of-3 quorum, 3 worker processes polling every {args.poll_interval} s, anvil automine")
    print(f"  jobs timed:                       {len(latencies)}")
    print(f"  request -> fulfilled, p50:        {statistics.median(latencies) * 1000:8.0f} ms")
    print(f"  request -> fulfilled, p95:        {percentile(latencies, 0.95) * 1000:8.0f} ms")
    print(f"  request -> fulfilled, max:        {max(latencies) * 1000:8.0f} ms")
    if gas_first:
        print(f"  gas, first attestation of a job:  {statistics.median(gas_first):8,.0f} (median)")
    if gas_quorum:
        print(f"  gas, quorum-completing attestation (fulfils, credits fees): {statistics.median(gas_quorum):,.0f} (median)")
    if gas_late:
        print(f"  gas, attestation after fulfilment (a third operator, recorded): {statistics.median(gas_late):,.0f} (median)")


if __name__ == "__main__":
    main()
