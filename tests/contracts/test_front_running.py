"""Registration front-running (issue 12, item 1): a watcher of pending transactions copies an
artist's `register` with its own contributors. Commit-reveal makes each copy fail."""

from __future__ import annotations

from ape import chain
from eth_utils import keccak

from tests.contracts.test_registry import commit_and_register, registration
from tutti.works import Share, register_work, registration_commitment


def test_register_failsIfFrontRunnerCopiesPendingRegistration(registry, artist, fan, reverts):
    entry = registration([(artist, 10_000)], content_hash=keccak(text="front-run me"))
    registry.commitRegistration(registry.registrationCommitment(artist.address, entry[1]), sender=artist)

    # The attacker sees the artist's register call and sends it with its own contributors first.
    stolen = registration([(fan, 10_000)], content_hash=entry[1])
    with reverts(registry.RegistrationNotCommitted, registrant=fan.address, contentHash=entry[1]):
        registry.register(stolen, sender=fan)

    receipt = registry.register(entry, sender=artist)
    work_id = receipt.decode_logs(registry.WorkRegistered)[0].workId
    assert registry.ownerOf(work_id) == artist.address


def test_register_failsIfFrontRunnerCommitsAndRegistersInOneBlock(registry, project, deployer, artist, reverts):
    bot = deployer.deploy(project.CommitAndRegister)
    entry = registration([(artist, 10_000)], content_hash=keccak(text="one block"))
    commitment = registration_commitment(bot.address, entry[1])
    with reverts(registry.CommitmentTooNew, commitment=commitment, usableFromBlock=chain.blocks.head.number + 2):
        bot.commitAndRegister(registry, entry, sender=deployer)


def test_commitRegistration_failsIfGrieferRefreshesLiveCommitment(registry, artist, fan, reverts):
    content_hash = keccak(text="griefed")
    commitment = registration_commitment(artist.address, content_hash)
    assert commitment == bytes(registry.registrationCommitment(artist.address, content_hash))
    registry.commitRegistration(commitment, sender=artist)
    made_at = registry.commitmentOf(commitment).timestamp

    # Anyone who learns the commitment cannot push its block forward to delay the registration.
    with reverts(registry.CommitmentStillLive, commitment=commitment, expiresAt=made_at + 86_400):
        registry.commitRegistration(commitment, sender=fan)


def test_register_failsIfCommitmentExpired(registry, artist, reverts):
    entry = registration([(artist, 10_000)], content_hash=keccak(text="too late"))
    commitment = registration_commitment(artist.address, entry[1])
    registry.commitRegistration(commitment, sender=artist)
    made_at = registry.commitmentOf(commitment).timestamp
    chain.pending_timestamp = made_at + registry.COMMITMENT_MAX_AGE() + 1

    with reverts(registry.CommitmentExpired, commitment=commitment, expiredAt=made_at + 86_400):
        registry.register(entry, sender=artist)
    # An expired commitment may be made again.
    registry.commitRegistration(commitment, sender=artist)
    registry.register(entry, sender=artist)


def test_commitRegistration_failsIfZero(registry, artist, reverts):
    with reverts(registry.EmptyCommitment):
        registry.commitRegistration(bytes(32), sender=artist)


def test_register_succeedsIfCommitmentUsedUp(registry, artist):
    entry = registration([(artist, 10_000)], content_hash=keccak(text="used up"))
    receipt = commit_and_register(registry, entry, sender=artist)

    commitment = registration_commitment(artist.address, entry[1])
    assert registry.commitmentOf(commitment) == (0, 0)
    assert registry.RegistrationCommitted(registrant=artist.address, commitment=commitment) not in receipt.events


def test_registerWork_succeedsIfActionCommitsThenRegisters(tutti, artist):
    work = register_work(tutti, artist, metadata_cid="bafy-commit", content_hash=keccak(text="action"),
                         contributors=[Share(artist.address, 10_000)])
    commit = chain.provider.get_receipt(work.commit_tx_hash)
    register = chain.provider.get_receipt(work.tx_hash)
    assert register.block_number > commit.block_number
    assert tutti.registry.ownerOf(work.work_id) == artist.address


def test_setOracleHub_failsIfNotGovernanceOrDeployerOnce(registry, deployer, fan, reverts):
    # The session's deployer bound the hub at deployment: it cannot move it again.
    assert registry.oracleHub() != "0x0000000000000000000000000000000000000000"
    for caller in (fan, deployer):
        with reverts(registry.NotAllowedToSetOracleHub, caller=caller.address):
            registry.setOracleHub(fan.address, sender=caller)
