// Tables like tutti-indexer's for the benchmark's mixed events (indexer/schema.py): every log in
// `events`, one row per deposit, withdrawal, pass sale and funding, and the aggregates they move.
import { onchainTable, primaryKey } from "ponder";

const eventColumns = (t: any) => ({
  eventId: t.bigint().primaryKey(),
  blockNumber: t.bigint().notNull(),
  txHash: t.hex().notNull(),
});

export const events = onchainTable("events", (t) => ({
  ...eventColumns(t),
  blockHash: t.hex().notNull(),
  logIndex: t.integer().notNull(),
  contract: t.text().notNull(),
  address: t.hex().notNull(),
  name: t.text().notNull(),
  args: t.json().notNull(),
}));

export const deposits = onchainTable("deposits", (t) => ({
  ...eventColumns(t),
  splitId: t.bigint().notNull(),
  token: t.hex().notNull(),
  sender: t.hex().notNull(),
  amount: t.bigint().notNull(),
}));

export const splitTotals = onchainTable(
  "split_totals",
  (t) => ({ splitId: t.bigint().notNull(), token: t.hex().notNull(), received: t.bigint().notNull() }),
  (table) => ({ pk: primaryKey({ columns: [table.splitId, table.token] }) }),
);

export const withdrawals = onchainTable("withdrawals", (t) => ({
  ...eventColumns(t),
  splitId: t.bigint().notNull(),
  token: t.hex().notNull(),
  account: t.hex().notNull(),
  amount: t.bigint().notNull(),
}));

export const recipientWithdrawn = onchainTable(
  "recipient_withdrawn",
  (t) => ({
    splitId: t.bigint().notNull(),
    token: t.hex().notNull(),
    account: t.hex().notNull(),
    withdrawn: t.bigint().notNull(),
  }),
  (table) => ({ pk: primaryKey({ columns: [table.splitId, table.token, table.account] }) }),
);

export const payeeWithdrawals = onchainTable("payee_withdrawals", (t) => ({
  ...eventColumns(t),
  splitId: t.bigint().notNull(),
  account: t.hex().notNull(),
  to: t.hex().notNull(),
  token: t.hex().notNull(),
  amount: t.bigint().notNull(),
}));

export const rooms = onchainTable("rooms", (t) => ({
  roomId: t.bigint().primaryKey(),
  host: t.hex().notNull(),
  price: t.bigint().notNull(),
  sold: t.integer().notNull(),
}));

export const passPurchases = onchainTable("pass_purchases", (t) => ({
  ...eventColumns(t),
  roomId: t.bigint().notNull(),
  buyer: t.hex().notNull(),
  to: t.hex().notNull(),
  price: t.bigint().notNull(),
  platformFee: t.bigint().notNull(),
}));

export const passHoldings = onchainTable(
  "pass_holdings",
  (t) => ({ roomId: t.bigint().notNull(), holder: t.hex().notNull(), balance: t.bigint().notNull() }),
  (table) => ({ pk: primaryKey({ columns: [table.roomId, table.holder] }) }),
);

export const usageFundings = onchainTable("usage_fundings", (t) => ({
  ...eventColumns(t),
  epoch: t.bigint().notNull(),
  token: t.hex().notNull(),
  sender: t.hex().notNull(),
  amount: t.bigint().notNull(),
}));

export const usagePools = onchainTable(
  "usage_pools",
  (t) => ({ epoch: t.bigint().notNull(), token: t.hex().notNull(), funded: t.bigint().notNull() }),
  (table) => ({ pk: primaryKey({ columns: [table.epoch, table.token] }) }),
);

export const tokenHolders = onchainTable("token_holders", (t) => ({
  address: t.hex().primaryKey(),
  balance: t.bigint().notNull(),
  votes: t.bigint().notNull(),
}));
