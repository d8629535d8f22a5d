// Governance: voting power and delegation, proposals with live state, tallies, quorum and time
// left, voting with a reason, proposing a change of a governable parameter from a form (calldata
// encoded from the compiled ABI), queue and execute. On a local chain, clearly marked tools mine
// blocks and skip time so a proposal can be walked through in minutes.
import { encodeFunctionData, formatEther, isAddress, keccak256, parseEther, toBytes, type Address, type Hex } from 'viem';
import { busy, run, statusArea } from '../actions';
import { ABIS, explain, type App, type ContractName } from '../chain';
import { LOCAL_CHAIN_IDS } from '../config';
import { duration } from '../format';
import { button, field, h, input, notice, replace, select, table } from '../ui';

interface Proposal { proposal_id: string; proposer: string; description: string; actions: Array<{ target: string; value: string; calldata: string }>; vote_start: number; vote_end: number; state: string; eta: number | null }

const STATES = ['Pending', 'Active', 'Canceled', 'Defeated', 'Succeeded', 'Queued', 'Expired', 'Executed'];

type Unit = 'eth' | 'bps' | 'count' | 'seconds' | 'blocks' | 'tokens' | 'percent';
interface Parameter { label: string; contract: ContractName; setter: string; getters: string[]; units: Unit[]; bounds: string }

/** The parameters the DAO governs: each setter's arguments come from the ABI; getters give the current values. */
export const PARAMETERS: Parameter[] = [
  { label: 'Registration fee', contract: 'ContentRegistry', setter: 'setRegistrationFee', getters: ['registrationFee'], units: ['eth'], bounds: '≥ 0 ETH' },
  { label: 'Registration limits', contract: 'ContentRegistry', setter: 'setLimits', getters: ['maxContributors', 'maxParents', 'maxUpstreamBps', 'maxRoyaltyBps'], units: ['count', 'count', 'bps', 'bps'], bounds: 'contributors 1–splitter max, parents ≤ splitter max, upstream < 100 %, royalty ≤ 100 %' },
  { label: 'Live-session platform fee', contract: 'AccessPass', setter: 'setPlatformFee', getters: ['platformFeeBps'], units: ['bps'], bounds: '0–20 %' },
  { label: 'Oracle quorum', contract: 'OracleHub', setter: 'setQuorum', getters: ['quorum'], units: ['count'], bounds: '1 – number of operators' },
  { label: 'Oracle minimum bond', contract: 'OracleHub', setter: 'setMinBond', getters: ['minBond'], units: ['eth'], bounds: '≥ 0 ETH' },
  { label: 'Oracle job timeout', contract: 'OracleHub', setter: 'setJobTimeout', getters: ['jobTimeout'], units: ['seconds'], bounds: '1 s – 30 days' },
  { label: 'Oracle unbonding delay', contract: 'OracleHub', setter: 'setUnbondingDelay', getters: ['unbondingDelay'], units: ['seconds'], bounds: '0 – 365 days' },
  { label: 'Voting delay', contract: 'TuttiGovernor', setter: 'setVotingDelay', getters: ['votingDelay'], units: ['blocks'], bounds: '≥ 0 blocks' },
  { label: 'Voting period', contract: 'TuttiGovernor', setter: 'setVotingPeriod', getters: ['votingPeriod'], units: ['blocks'], bounds: '≥ 1 block' },
  { label: 'Proposal threshold', contract: 'TuttiGovernor', setter: 'setProposalThreshold', getters: ['proposalThreshold'], units: ['tokens'], bounds: '≥ 0 TUTTI' },
  { label: 'Quorum (percent of supply)', contract: 'TuttiGovernor', setter: 'updateQuorumNumerator', getters: ['quorumNumerator'], units: ['percent'], bounds: '0–100 %' },
];

const toInput = (value: bigint, unit: Unit) => unit === 'eth' || unit === 'tokens' ? formatEther(value) : String(value);
const fromInput = (text: string, unit: Unit) => unit === 'eth' || unit === 'tokens' ? parseEther(text.trim()) : BigInt(text.trim());
const unitName: Record<Unit, string> = { eth: 'ETH', bps: 'basis points (1 % = 100)', count: '', seconds: 'seconds', blocks: 'blocks', tokens: 'TUTTI', percent: '%' };

export async function renderGovernance(app: App, root: HTMLElement): Promise<void> {
  replace(root, h('h1', {}, 'Governance'));
  root.append(await powerSection(app), await proposalsSection(app, root), proposeSection(app, root));
  if (LOCAL_CHAIN_IDS.has(app.config.chainId)) root.append(localTools(app, root));
}

async function powerSection(app: App): Promise<HTMLElement> {
  const section = h('section', { class: 'card', 'aria-labelledby': 'power' }, h('h2', { id: 'power' }, 'Your voting power'));
  if (!app.account) { section.append(notice('info', 'Connect a wallet to see your voting power and delegate.')); return section; }
  const [balance, votes, delegatee] = await Promise.all([
    app.read<bigint>('TuttiToken', 'balanceOf', [app.account]), app.read<bigint>('TuttiToken', 'getVotes', [app.account]),
    app.read<Address>('TuttiToken', 'delegates', [app.account])]);
  const to = input({ name: 'delegatee', value: app.account, spellcheck: 'false' });
  const status = statusArea();
  const submit = h('button', { type: 'submit' }, 'Delegate');
  const form = h('form', {}, field('Delegate my votes to', to, 'Your own address to vote yourself.'), submit, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!isAddress(to.value.trim())) { replace(status, notice('error', `“${to.value}” is not an address.`)); return; }
    void busy(submit, async () => {
      if (await run(app, status, [{ contract: 'TuttiToken', functionName: 'delegate', args: [to.value.trim()] }], `Delegated to ${to.value.trim()}.`)) {
        replace(votesText, formatEther(await app.read<bigint>('TuttiToken', 'getVotes', [app.account!])));
        replace(delegateText, h('code', {}, to.value.trim()));
      }
    })();
  });
  const votesText = h('strong', { 'data-votes': '' }, formatEther(votes));
  const delegateText = h('dd', {}, delegatee === '0x0000000000000000000000000000000000000000' ? 'nobody (tokens do not vote until delegated)' : h('code', {}, delegatee));
  section.append(h('dl', { class: 'facts' },
    h('dt', {}, 'Tokens held'), h('dd', {}, `${formatEther(balance)} TUTTI`),
    h('dt', {}, 'Votes'), h('dd', {}, votesText),
    h('dt', {}, 'Delegating to'), delegateText), form);
  return section;
}

async function proposalsSection(app: App, root: HTMLElement): Promise<HTMLElement> {
  const proposals = await app.indexer.all<Proposal>('/proposals');
  const clock = await app.read<bigint>('TuttiGovernor', 'clock');
  const section = h('section', { 'aria-labelledby': 'proposals' }, h('h2', { id: 'proposals' }, 'Proposals'));
  if (!proposals.length) section.append(h('p', {}, 'No proposals yet.'));
  for (const proposal of [...proposals].reverse()) section.append(await proposalCard(app, proposal, clock, root));
  return section;
}

async function proposalCard(app: App, proposal: Proposal, clock: bigint, root: HTMLElement): Promise<HTMLElement> {
  const id = BigInt(proposal.proposal_id);
  const [stateIndex, tally] = await Promise.all([app.read<number>('TuttiGovernor', 'state', [id]), app.read<[bigint, bigint, bigint]>('TuttiGovernor', 'proposalVotes', [id])]);
  const state = STATES[Number(stateIndex)];
  const quorum = BigInt(proposal.vote_start) < clock ? await app.read<bigint>('TuttiGovernor', 'quorum', [BigInt(proposal.vote_start)]) : null;
  const left = proposal.vote_end - Number(clock);
  const status = statusArea();
  const targets = proposal.actions.map((a) => a.target as Address);
  const values = proposal.actions.map((a) => BigInt(a.value));
  const calldatas = proposal.actions.map((a) => a.calldata as Hex);
  const descriptionHash = keccak256(toBytes(proposal.description));
  const actions: HTMLElement[] = [];
  if (state === 'Active') {
    const support = select([['1', 'For'], ['0', 'Against'], ['2', 'Abstain']], { name: 'support' });
    const reason = input({ name: 'reason', placeholder: 'why (optional, public)' });
    const submit = h('button', { type: 'submit' }, 'Vote');
    const form = h('form', { class: 'vote' }, field('Your vote', support), field('Reason', reason), submit);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void busy(submit, () => run(app, status, [{ contract: 'TuttiGovernor', functionName: 'castVoteWithReason', args: [id, Number(support.value), reason.value] }],
        `Vote cast: ${support.selectedOptions[0].text}.`))();
    });
    actions.push(form);
  }
  if (state === 'Succeeded') actions.push(button('Queue in the timelock', () => run(app, status, [{ contract: 'TuttiGovernor', functionName: 'queue', args: [targets, values, calldatas, descriptionHash] }], 'Queued.').then(async (ok) => { if (ok) await renderGovernance(app, root); })));
  if (state === 'Queued') {
    const eta = proposal.eta ?? Number(await app.read<bigint>('TuttiGovernor', 'proposalEta', [id]));
    const now = Number((await app.publicClient.getBlock()).timestamp);
    actions.push(h('p', {}, eta > now ? `Executable in ${duration(eta - now)}.` : 'Executable now.'),
      button('Execute', () => run(app, status, [{ contract: 'TuttiGovernor', functionName: 'execute', args: [targets, values, calldatas, descriptionHash] }], 'Executed: the change is in force.').then(async (ok) => { if (ok) await renderGovernance(app, root); })));
  }
  return h('article', { class: 'card proposal', 'data-proposal': proposal.proposal_id, 'data-state': state },
    h('h3', {}, proposal.description.split('\n')[0]),
    h('p', {}, h('span', { class: `state ${state.toLowerCase()}` }, state), ' · proposed by ', h('code', {}, proposal.proposer)),
    table(['For', 'Against', 'Abstain', 'Quorum', 'Voting'], [[formatEther(tally[1]), formatEther(tally[0]), formatEther(tally[2]),
      quorum === null ? 'after voting starts' : formatEther(quorum),
      state === 'Pending' ? `starts in ${proposal.vote_start - Number(clock)} blocks` : left > 0 && state === 'Active' ? `${left} blocks left` : 'closed']]),
    ...actions, status);
}

function proposeSection(app: App, root: HTMLElement): HTMLElement {
  const chooser = select(PARAMETERS.map((p, index) => [String(index), `${p.label} (${p.contract}.${p.setter})`]), { name: 'parameter' });
  const argsBox = h('div', { class: 'args' });
  const description = h('textarea', { name: 'description', rows: 3, required: true });
  const status = statusArea();
  const submit = h('button', { type: 'submit' }, 'Propose');
  let argInputs: HTMLInputElement[] = [];
  const showArgs = async () => {
    const parameter = PARAMETERS[Number(chooser.value)];
    const inputsAbi = (ABIS[parameter.contract].find((item) => item.type === 'function' && item.name === parameter.setter) as unknown as { inputs: Array<{ name: string }> }).inputs;
    let current: bigint[] = [];
    try { current = await Promise.all(parameter.getters.map((getter) => app.read<bigint>(parameter.contract, getter).then(BigInt))); } catch (error) {
      replace(argsBox, notice('error', `Cannot read the current value: ${explain(error).message}`)); return;
    }
    argInputs = inputsAbi.map((item, index) => input({ name: item.name, value: toInput(current[index], parameter.units[index]), inputmode: 'decimal' }));
    replace(argsBox, h('p', {}, 'Bounds: ', parameter.bounds),
      ...argInputs.map((control, index) => field(`${inputsAbi[index].name.replace(/_$/, '')} (${unitName[parameter.units[index]] || 'number'})`, control,
        `now ${toInput(current[index], parameter.units[index])}`)));
  };
  chooser.addEventListener('change', () => void showArgs());
  void showArgs();
  const form = h('form', { class: 'card', 'aria-labelledby': 'propose' }, h('h2', { id: 'propose' }, 'Propose a parameter change'),
    field('Parameter', chooser), argsBox, field('Description', description, 'What changes and why; the first line is the title.'), submit, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const parameter = PARAMETERS[Number(chooser.value)];
    let args: bigint[];
    try { args = argInputs.map((control, index) => fromInput(control.value, parameter.units[index])); } catch {
      replace(status, notice('error', 'Each value must be a number in the unit shown.')); return;
    }
    if (!description.value.trim()) { replace(status, notice('error', 'Describe the proposal.')); return; }
    const calldata = encodeFunctionData({ abi: ABIS[parameter.contract], functionName: parameter.setter, args } as never);
    void busy(submit, async () => {
      if (await run(app, status, [{ contract: 'TuttiGovernor', functionName: 'propose', args: [[app.address(parameter.contract)], [0n], [calldata], description.value.trim()] }],
        'Proposed. Voting starts after the voting delay.')) await renderGovernance(app, root);
    })();
  });
  return form;
}

function localTools(app: App, root: HTMLElement): HTMLElement {
  const status = statusArea();
  const rpc = async (method: string, params: unknown[]) => {
    const response = await fetch(app.config.rpcUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    const answer = await response.json();
    if (answer.error) throw new Error(answer.error.message);
  };
  const act = (label: string, work: () => Promise<void>) => button(label, async () => {
    try { await work(); replace(status, notice('success', `${label}: done.`)); await renderGovernance(app, root); } catch (error) { replace(status, notice('error', explain(error).message)); }
  });
  return h('section', { class: 'card dev', 'aria-labelledby': 'dev-tools' }, h('h2', { id: 'dev-tools' }, 'Local chain tools (development only)'),
    h('p', {}, 'Only on a local chain: move the chain forward instead of waiting for real blocks and days.'),
    act('Mine 10 blocks', () => rpc('anvil_mine', ['0xa'])),
    act('Mine 100 blocks', () => rpc('anvil_mine', ['0x64'])),
    act('Skip 2 days', async () => { await rpc('evm_increaseTime', [172800]); await rpc('anvil_mine', ['0x1']); }),
    status);
}
