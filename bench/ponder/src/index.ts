// One handler per event, as tutti-indexer's indexer/handlers.py does for the same events: the
// event's row, the raw log in `events`, and the aggregate it moves (upserted).
import { ponder } from "ponder:registry";
import {
  deposits,
  events,
  passHoldings,
  passPurchases,
  payeeWithdrawals,
  recipientWithdrawn,
  rooms,
  splitTotals,
  tokenHolders,
  usageFundings,
  usagePools,
  withdrawals,
} from "ponder:schema";

const ZERO = "0x0000000000000000000000000000000000000000";

// JSON has no bigint: decimal strings, as tutti-indexer stores integers beyond 53 bits.
const plain = (value: unknown): unknown =>
  typeof value === "bigint" ? value.toString() : Array.isArray(value) ? value.map(plain) : value;

async function record(contract: string, name: string, event: any, context: any) {
  const args = Object.fromEntries(Object.entries(event.args).map(([k, v]) => [k, plain(v)]));
  const id = eventId(event);
  await context.db.insert(events).values({
    eventId: id,
    blockNumber: event.block.number,
    txHash: event.transaction.hash,
    blockHash: event.block.hash,
    logIndex: event.log.logIndex,
    contract,
    address: event.log.address,
    name,
    args,
  });
  return id;
}

const eventId = (event: any): bigint => event.block.number * 1_000_000n + BigInt(event.log.logIndex);
const where = (event: any) => ({ eventId: eventId(event), blockNumber: event.block.number, txHash: event.transaction.hash });

ponder.on("RoyaltySplitter:Deposited", async ({ event, context }) => {
  await record("RoyaltySplitter", "Deposited", event, context);
  const { splitId, token, from, amount } = event.args;
  await context.db.insert(deposits).values({ ...where(event), splitId, token, sender: from, amount });
  await context.db
    .insert(splitTotals)
    .values({ splitId, token, received: amount })
    .onConflictDoUpdate((row) => ({ received: row.received + amount }));
});

ponder.on("RoyaltySplitter:Withdrawn", async ({ event, context }) => {
  await record("RoyaltySplitter", "Withdrawn", event, context);
  const { splitId, token, account, amount } = event.args;
  await context.db.insert(withdrawals).values({ ...where(event), splitId, token, account, amount });
  await context.db
    .insert(recipientWithdrawn)
    .values({ splitId, token, account, withdrawn: amount })
    .onConflictDoUpdate((row) => ({ withdrawn: row.withdrawn + amount }));
});

ponder.on("RoyaltySplitter:WithdrawnTo", async ({ event, context }) => {
  await record("RoyaltySplitter", "WithdrawnTo", event, context);
  const { splitId, account, to, token, amount } = event.args;
  await context.db.insert(payeeWithdrawals).values({ ...where(event), splitId, account, to, token, amount });
});

ponder.on("AccessPass:RoomCreated", async ({ event, context }) => {
  await record("AccessPass", "RoomCreated", event, context);
  const { roomId, host, price } = event.args;
  await context.db.insert(rooms).values({ roomId, host, price, sold: 0 });
});

ponder.on("AccessPass:PassBought", async ({ event, context }) => {
  await record("AccessPass", "PassBought", event, context);
  const { roomId, buyer, to, price, platformFee } = event.args;
  await context.db.insert(passPurchases).values({ ...where(event), roomId, buyer, to, price, platformFee });
  await context.db.update(rooms, { roomId }).set((row) => ({ sold: row.sold + 1 }));
});

ponder.on("AccessPass:TransferSingle", async ({ event, context }) => {
  await record("AccessPass", "TransferSingle", event, context);
  const { from, to, id, value } = event.args;
  for (const [holder, delta] of [[from, -value], [to, value]] as const) {
    if (holder === ZERO || value === 0n) continue;
    await context.db
      .insert(passHoldings)
      .values({ roomId: id, holder, balance: delta })
      .onConflictDoUpdate((row) => ({ balance: row.balance + delta }));
  }
});

ponder.on("UsageRoyalties:EpochFunded", async ({ event, context }) => {
  await record("UsageRoyalties", "EpochFunded", event, context);
  const { epoch, token, from, amount } = event.args;
  await context.db.insert(usageFundings).values({ ...where(event), epoch, token, sender: from, amount });
  await context.db
    .insert(usagePools)
    .values({ epoch, token, funded: amount })
    .onConflictDoUpdate((row) => ({ funded: row.funded + amount }));
});

ponder.on("TuttiToken:Transfer", async ({ event, context }) => {
  await record("TuttiToken", "Transfer", event, context);
  const { from, to, value } = event.args;
  for (const [holder, delta] of [[from, -value], [to, value]] as const) {
    if (holder === ZERO) continue;
    await context.db
      .insert(tokenHolders)
      .values({ address: holder, balance: delta, votes: 0n })
      .onConflictDoUpdate((row) => ({ balance: row.balance + delta }));
  }
});

ponder.on("TuttiToken:DelegateVotesChanged", async ({ event, context }) => {
  await record("TuttiToken", "DelegateVotesChanged", event, context);
  const { delegate, newVotes } = event.args;
  await context.db
    .insert(tokenHolders)
    .values({ address: delegate, balance: 0n, votes: newVotes })
    .onConflictDoUpdate(() => ({ votes: newVotes }));
});
