// Oracle jobs: request analyze / compose / improvise / accompany / render from a work or an
// uploaded file, watch progress live, listen to and download the result, verify it against the
// attested hash in the browser, and register it as a derivative of the input work.
import { formatEther, keccak256, stringToHex, toBytes, type Address, type Hex } from 'viem';
import { busy, run, statusArea } from '../actions';
import { explain, type App } from '../chain';
import type { Work } from '../indexer';
import { registerWork } from '../registration';
import { button, field, h, input, notice, replace, select, table } from '../ui';
import { loadMetadata } from './works';

interface Job { job_id: number; requester: string; kind_name: string; input_cid: string; params: string; fee: string; deadline: number; input_work_id: number; state: string; result_cid: string | null; result_hash: string | null; agreeing_operators: string[] | null }
interface JobDetail extends Job { attestations: Array<{ operator: string; dissented: boolean; result_hash: string }> }

export const KINDS = ['analyze', 'compose', 'improvise', 'accompany', 'render'];
const DEFAULT_PARAMS: Record<string, object> = {
  analyze: {}, compose: { bars: 8, style: 'chorale', temperature: 0.9, top_k: 8 }, improvise: { chords: ['C', 'F', 'G', 'C'] },
  accompany: { style: 'chorale' }, render: {},
};

/** The job kind's on-chain id: its ASCII name left-aligned in 32 bytes. */
export const kindId = (kind: string): Hex => stringToHex(kind, { size: 32 });

/** keccak-256 of the canonical manifest [[name, sha256-hex], ...] sorted by name, as the operators
 * attest it (Python: json.dumps(sort_keys=True, indent=2, ensure_ascii=True) + "\n"). */
export async function resultHash(files: Map<string, Uint8Array>): Promise<Hex> {
  const manifest: Array<[string, string]> = [];
  for (const name of [...files.keys()].sort()) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', files.get(name)! as BufferSource));
    manifest.push([name, [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('')]);
  }
  const text = JSON.stringify(manifest, null, 2).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
  return keccak256(toBytes(text));
}

export async function renderJobs(app: App, root: HTMLElement): Promise<void> {
  replace(root, h('h1', {}, 'Oracle jobs'), h('p', {}, 'Operators run the job independently; when enough of them attest the same result, it is final and its fee is paid.'));
  root.append(await requestForm(app, root));
  const list = h('div', { class: 'jobs' });
  root.append(h('h2', {}, app.account ? 'Your jobs' : 'Recent jobs'), list);
  const jobs = await app.indexer.all<Job>('/jobs', app.account ? { requester: app.account } : {});
  if (!jobs.length) list.append(h('p', {}, 'No jobs yet.'));
  for (const job of [...jobs].reverse().slice(0, 20)) list.append(await jobCard(app, job.job_id));
  const unsubscribe = app.live.subscribe(async (event) => {
    if (!root.isConnected) { unsubscribe(); return; }
    const jobId = Number((event.args as { jobId?: string | number }).jobId ?? NaN);
    if (Number.isNaN(jobId)) return;
    const card = list.querySelector(`[data-job="${jobId}"]`);
    if (card) card.replaceWith(await jobCard(app, jobId));
    else if (event.name === 'JobRequested') { list.querySelector('p')?.remove(); list.prepend(await jobCard(app, jobId)); }
  });
}

async function requestForm(app: App, root: HTMLElement): Promise<HTMLElement> {
  const form = h('form', { class: 'card', 'aria-labelledby': 'request' }, h('h2', { id: 'request' }, 'Request a job'));
  const works = await app.indexer.all<Work>('/works').catch(() => [] as Work[]);
  const kind = select(KINDS.map((k) => [k, k]), { name: 'kind' });
  const source = select([['', 'an uploaded file'], ...works.map((w) => [String(w.work_id), `work ${w.work_id}`] as [string, string])], { name: 'source' });
  const upload = input({ type: 'file', name: 'input-file' });
  const params = h('textarea', { name: 'params', rows: 3 }, JSON.stringify(DEFAULT_PARAMS.analyze));
  const feeText = h('strong', {}, '…');
  const status = statusArea();
  const submit = h('button', { type: 'submit' }, 'Request');
  const showFee = async () => {
    try { replace(feeText, `${formatEther(await app.read<bigint>('OracleHub', 'minFeeOf', [kindId(kind.value)]))} ETH`); } catch (error) { replace(feeText, explain(error).message); }
  };
  kind.addEventListener('change', () => { params.value = JSON.stringify(DEFAULT_PARAMS[kind.value] ?? {}); void showFee(); });
  void showFee();
  form.append(field('Kind', kind), field('Input', source, 'A registered work (its score or recording) or a file you upload.'), field('File (when uploading)', upload),
    field('Parameters (JSON)', params), h('p', {}, 'Fee (escrowed until the result is final): ', feeText), submit, status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    let parsed: Record<string, unknown>;
    try { parsed = JSON.parse(params.value || '{}'); } catch { replace(status, notice('error', 'The parameters are not valid JSON.')); return; }
    if (!source.value && !upload.files?.length) { replace(status, notice('error', 'Choose a work or upload a file.')); return; }
    void busy(submit, () => run(app, status, [async (report) => {
      let inputCid: string;
      if (source.value) {
        const meta = await loadMetadata(app, works.find((w) => String(w.work_id) === source.value)!.metadata_cid);
        const reference = meta?.score ?? meta?.audio;
        if (!reference) throw new Error(`Work ${source.value} has no score or recording in its metadata.`);
        inputCid = reference.replace(/^ipfs:\/\//, '');
      } else {
        report('Uploading the input to IPFS…');
        inputCid = await app.ipfs.add(upload.files![0], upload.files![0].name);
      }
      const fee = await app.read<bigint>('OracleHub', 'minFeeOf', [kindId(kind.value)]);
      // The operators read params as canonical JSON (sorted keys, no spaces).
      const canonical = JSON.stringify(sortKeys(parsed));
      await app.send({ contract: 'OracleHub', functionName: 'requestJob', args: [kindId(kind.value), inputCid, stringToHex(canonical), BigInt(source.value || 0)], value: fee }, (_s, d) => report(d));
    }], 'Job requested; its card below follows the operators’ attestations live.'))();
  });
  return form;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
  return value;
}

async function jobCard(app: App, jobId: number): Promise<HTMLElement> {
  const job = await app.indexer.get<JobDetail>(`/jobs/${jobId}`);
  const quorum = Number(await app.read<bigint>('OracleHub', 'quorum'));
  const status = statusArea();
  const card = h('article', { class: 'card job', 'data-job': jobId, 'data-state': job.state },
    h('h3', {}, `Job ${jobId}: ${job.kind_name}`, job.input_work_id ? ` of work ${job.input_work_id}` : ''),
    h('p', {}, h('span', { class: `state ${job.state}` }, job.state), ` · ${job.attestations.length} attestation(s), ${quorum} needed · fee ${formatEther(BigInt(job.fee))} ETH`),
    h('progress', { max: quorum, value: Math.min(job.attestations.filter((a) => !a.dissented).length, quorum), 'aria-label': `Attestations for job ${jobId}` }),
    job.attestations.length ? table(['Operator', 'Agrees with the result'], job.attestations.map((a) => [h('code', {}, a.operator), job.state === 'fulfilled' ? (a.dissented ? 'no (dissent recorded)' : 'yes') : 'waiting'])) : null);
  if (job.state === 'fulfilled' && job.result_cid && job.result_hash) card.append(await resultView(app, job, status));
  card.append(status);
  return card;
}

async function resultView(app: App, job: JobDetail, status: HTMLElement): Promise<HTMLElement> {
  const entries = await app.ipfs.ls(job.result_cid!);
  const files = h('ul', {}, ...entries.map((entry) => h('li', {},
    h('a', { href: app.ipfs.url(`${job.result_cid}/${entry.Name}`), download: entry.Name }, entry.Name), ` (${entry.Size} bytes)`,
    /\.(wav|ogg|mp3|flac)$/i.test(entry.Name) ? h('audio', { controls: true, preload: 'none', src: app.ipfs.url(`${job.result_cid}/${entry.Name}`), 'aria-label': entry.Name }) : null)));
  const verdict = h('p', { class: 'verdict', 'aria-live': 'polite' });
  const verify = button('Verify against the attested hash', async () => {
    try {
      const metadata = JSON.parse(new TextDecoder().decode(await app.ipfs.bytes(`${job.result_cid}/metadata.json`)));
      const outputs = metadata.outputs ?? [];
      const names: string[] = [...(Array.isArray(outputs) ? outputs : Object.keys(outputs)), 'metadata.json'];
      const contents = new Map<string, Uint8Array>();
      for (const name of names) contents.set(name, await app.ipfs.bytes(`${job.result_cid}/${name}`));
      const computed = await resultHash(contents);
      const ok = computed.toLowerCase() === job.result_hash!.toLowerCase();
      replace(verdict, notice(ok ? 'success' : 'error', ok ? `Verified: the files hash to ${computed}, as attested.` : `Mismatch: the files hash to ${computed}, the operators attested ${job.result_hash}.`));
      verdict.dataset.verified = String(ok);
    } catch (error) { replace(verdict, notice('error', explain(error).message)); }
  });
  const parts: HTMLElement[] = [h('h4', {}, 'Result'), files, verify, verdict];
  if (app.account && app.account.toLowerCase() === job.requester.toLowerCase()) parts.push(derivativeForm(app, job, entries.map((e) => e.Name), status));
  return h('div', { class: 'result' }, ...parts);
}

function derivativeForm(app: App, job: JobDetail, names: string[], status: HTMLElement): HTMLElement {
  const title = input({ name: 'derivative-title', value: `${job.kind_name} of work ${job.input_work_id || 'upload'} (job ${job.job_id})` });
  const upstream = input({ name: 'derivative-upstream', type: 'number', min: 0, max: 50, step: '0.01', value: job.input_work_id ? '10' : '0' });
  const submit = h('button', { type: 'submit' }, 'Register as a derivative work');
  const form = h('form', { class: 'inline' }, field('Title', title), field('Upstream share to the input work (%)', upstream), submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void busy(submit, async () => {
      const report = (text: string) => replace(status, notice('info', text));
      try {
        const audio = names.find((n) => /\.(wav|ogg|mp3|flac)$/i.test(n));
        const score = names.find((n) => /\.(mid|midi|musicxml|xml)$/i.test(n));
        report('Uploading the derivative’s metadata to IPFS…');
        const metadataCid = await app.ipfs.addJson({ name: title.value.trim(), ai: true, job: job.job_id, result: `ipfs://${job.result_cid}`,
          audio: audio ? `ipfs://${job.result_cid}/${audio}` : undefined, score: score ? `ipfs://${job.result_cid}/${score}` : undefined });
        const share = Math.round(Number(upstream.value) * 100);
        // The attested result hash is the derivative's fingerprint (reserved for the requester).
        const registered = await registerWork(app, {
          metadataCid, contentHash: job.result_hash as Hex, license: 'CC-BY-4.0', royaltyBps: 1000,
          contributors: [{ account: app.account as Address, shareBps: 10_000 }],
          parents: job.input_work_id && share > 0 ? [{ workId: BigInt(job.input_work_id), shareBps: share }] : [],
        }, report);
        replace(status, notice('success', `Registered as work ${registered.workId}. `,
          h('a', { href: `#/works/${registered.workId}`, 'data-new-work': String(registered.workId) }, `Open work ${registered.workId}`), app.indexerLag ? ` ${app.indexerLag}` : ''));
      } catch (error) {
        replace(status, notice('error', explain(error).message));
      }
    })();
  });
  return form;
}
