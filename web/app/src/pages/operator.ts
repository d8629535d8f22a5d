// Oracle operators: bond, fees earned and withdrawn, jobs attested, dissents and slashes. The
// connected operator can bond more and withdraw its fees.
import { formatEther, parseEther } from 'viem';
import { busy, run, statusArea } from '../actions';
import type { App } from '../chain';
import { field, h, input, notice, replace, table } from '../ui';

interface Operator { address: string; active: boolean; earned: string; bonded: string; unbonding: string; slashed: string; slash_count: number }
interface Attestation { job_id: number; operator: string; dissented: boolean }

export async function renderOperator(app: App, root: HTMLElement): Promise<void> {
  const [operators, attestations, minBond] = await Promise.all([
    app.indexer.all<Operator>('/operators'), app.indexer.all<Attestation>('/attestations'), app.read<bigint>('OracleHub', 'minBond')]);
  const count = (address: string, dissent: boolean) => attestations.filter((a) => a.operator.toLowerCase() === address.toLowerCase() && a.dissented === dissent).length;
  replace(root, h('h1', {}, 'Oracle operators'), h('p', {}, `Minimum bond to attest: ${formatEther(minBond)} ETH.`),
    table(['Operator', 'Active', 'Bond (ETH)', 'Unbonding', 'Fees earned', 'Attested (agreed)', 'Dissents', 'Slashed'],
      operators.map((o) => [h('code', {}, o.address), o.active ? 'yes' : 'no', formatEther(BigInt(o.bonded)), formatEther(BigInt(o.unbonding)),
        formatEther(BigInt(o.earned)), String(count(o.address, false)), String(count(o.address, true)), `${formatEther(BigInt(o.slashed))} (${o.slash_count}×)`])));
  const me = operators.find((o) => o.address.toLowerCase() === app.account?.toLowerCase());
  if (!me) { root.append(notice('info', 'Connect an operator’s wallet to bond and withdraw fees.')); return; }
  const amount = input({ name: 'bond', value: '0.5', inputmode: 'decimal' });
  const status = statusArea();
  const bond = h('button', { type: 'submit' }, 'Add to bond');
  const form = h('form', { class: 'card' }, h('h2', {}, 'Your operator account'), field('Bond more (ETH)', amount), bond, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    let value: bigint;
    try { value = parseEther(amount.value.trim()); } catch { replace(status, notice('error', `“${amount.value}” is not an amount of ETH.`)); return; }
    void busy(bond, () => run(app, status, [{ contract: 'OracleHub', functionName: 'bond', value }], 'Bond added.'))();
  });
  const withdraw = h('button', { type: 'button' }, 'Withdraw earned fees');
  withdraw.addEventListener('click', busy(withdraw, () => run(app, status, [{ contract: 'OracleHub', functionName: 'withdraw' }], 'Fees withdrawn.')));
  form.append(withdraw);
  root.append(form);
}
