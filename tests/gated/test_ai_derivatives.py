"""The oracle's AI derivative path honours the licence rule: a compose job on a gated work is
refused for a requester without a remix licence, and allowed once it holds one."""

from __future__ import annotations

from oracle.derivatives import derivative_refusal
from tutti.jobs import request_job
from tutti.licenses import RIGHTS, buy_license, create_offer, require_derivative_license
from tutti.works import Share, register_work

CID = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"


def test_derivative_job_needs_remix_licence_of_gated_work(tutti, artist, fan):
    work = register_work(tutti, artist, metadata_cid=CID, content_hash=b"\x51" * 32,
                         contributors=[Share(artist.address, 10_000)])

    def refusal(kind):
        job = request_job(tutti, fan, kind, CID, {}, input_work_id=work.work_id)
        return derivative_refusal(tutti.hub, job.job_id, kind)

    assert refusal("compose") is None  # an open work
    require_derivative_license(tutti, artist, work.work_id)
    assert f"holds no remix licence for work {work.work_id}" in refusal("compose")
    assert refusal("analyze") is None  # an analysis is not a derivative
    offer_id, _ = create_offer(tutti, artist, work_id=work.work_id, rights=RIGHTS["derivative"], price=0,
                               supply_cap=1, terms_cid=CID)
    buy_license(tutti, fan, offer_id)
    assert refusal("accompany") is None
