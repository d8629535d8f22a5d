"""The AI derivative path honours the registry's licence rule.

A job whose output is a derivative of its input work (a continuation, an improvisation, an
arrangement) is refused, as an attested ``error.json``, when the input work's owner requires a
remix licence and the requester holds none: the registry would refuse to register the result
anyway, and the operators should not make, for a requester, what that requester may not use.
The check is the contract's own ``mayDerive``, at the latest block.
"""

from __future__ import annotations

#: Job kinds whose result derives from the input work.
DERIVATIVE_KINDS = frozenset({"compose", "improvise", "accompany"})


def derivative_refusal(hub, job_id: int, kind: str) -> str | None:
    """Why job ``job_id`` may not derive from its input work, or None if it may (or does not derive)."""
    if kind not in DERIVATIVE_KINDS:
        return None
    from ape import project

    job = hub.job(job_id)
    if job.inputWorkId == 0:
        return None
    licenses_address = project.ContentRegistry.at(hub.registry()).licenseOffers()
    if int(licenses_address, 16) == 0:
        return None
    if project.LicenseOffers.at(licenses_address).mayDerive(job.inputWorkId, job.requester):
        return None
    return (f"the requester {job.requester} holds no remix licence for work {job.inputWorkId}, "
            "whose owner requires one for derivatives")
