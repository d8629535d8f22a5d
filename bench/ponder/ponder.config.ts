// The benchmark's chain, written by bench/indexer.py into the JSON file named by TUTTI_PONDER_SETUP:
// RPC URL, chain id, first block, and each indexed contract's address and ABI (ape's build).
import { readFileSync } from "node:fs";
import { createConfig } from "ponder";

type Setup = {
  rpc: string;
  chainId: number;
  startBlock: number;
  contracts: Record<string, { address: `0x${string}`; abi: readonly unknown[] }>;
};

const setup: Setup = JSON.parse(readFileSync(process.env.TUTTI_PONDER_SETUP as string, "utf8"));

const contract = (name: string) => ({
  chain: "anvil" as const,
  abi: setup.contracts[name].abi as any,
  address: setup.contracts[name].address,
  startBlock: setup.startBlock,
});

export default createConfig({
  chains: {
    // No RPC cache: each run reads the chain itself, as tutti-indexer does.
    anvil: { id: setup.chainId, rpc: setup.rpc, disableCache: true },
  },
  contracts: {
    TuttiToken: contract("TuttiToken"),
    RoyaltySplitter: contract("RoyaltySplitter"),
    AccessPass: contract("AccessPass"),
    UsageRoyalties: contract("UsageRoyalties"),
  },
});
