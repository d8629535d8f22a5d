"""Tutti's shared kernel: code every off-chain part uses (settings, the deployment address book,
contract handles and user actions, IPFS store, audio and music primitives, the umbrella CLI).

Services (``oracle/``, ``indexer/``, ``media/``) import from here and never from each other.
"""

__version__ = "0.1.0"
