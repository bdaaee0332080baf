/**
 * #17.7: the wizard learns before a run whether its Hub model can be had: downloaded (in the
 * cache huggingface_hub shares), or from a reachable endpoint; and a run that failed for want of
 * it is told apart by the trainer's own words.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { checkHubModel, isCachedHubModel, isModelUnavailable } from '../../src/extension/training/hubCheck';
import { downloadModel } from '../../src/trainer/hub/hubDownload';
import { tempDir } from './helpers';

const COMMIT = 'a'.repeat(40);

function cacheWith(files: string[]): string {
  const cache = tempDir();
  const repo = path.join(cache, 'models--google--bert_uncased_L-2_H-128_A-2');
  fs.mkdirSync(path.join(repo, 'refs'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'refs', 'main'), COMMIT);
  const snapshot = path.join(repo, 'snapshots', COMMIT);
  fs.mkdirSync(snapshot, { recursive: true });
  for (const f of files) fs.writeFileSync(path.join(snapshot, f), '{}');
  return cache;
}

const ID = 'google/bert_uncased_L-2_H-128_A-2';
const noFetch = (() => {
  throw new Error('no request expected');
}) as unknown as typeof fetch;

describe('whether a Hub model can be had before training', () => {
  it('a complete snapshot in the cache counts as downloaded; one without weights does not', async () => {
    const whole = cacheWith(['config.json', 'vocab.txt', 'model.safetensors']);
    assert.equal(isCachedHubModel(ID, { HF_HUB_CACHE: whole }), true);
    assert.deepEqual(await checkHubModel(ID, { HF_HUB_CACHE: whole }, 1000, noFetch), { cached: true, endpoint: 'https://huggingface.co' });
    assert.equal(isCachedHubModel(ID, { HF_HUB_CACHE: cacheWith(['config.json', 'vocab.txt']) }), false);
    assert.equal(isCachedHubModel(`${ID}@v2`, { HF_HUB_CACHE: whole }), false, 'another revision is not cached');
    assert.equal(isCachedHubModel('../escape', { HF_HUB_CACHE: whole }), false);
  });

  it('not downloaded: HF_HUB_OFFLINE says so without a request; else the endpoint is asked once', async () => {
    const empty = tempDir();
    assert.deepEqual(await checkHubModel(ID, { HF_HUB_CACHE: empty, HF_HUB_OFFLINE: '1' }, 1000, noFetch), {
      cached: false,
      reachable: false,
      reason: 'HF_HUB_OFFLINE is set',
      endpoint: 'https://huggingface.co',
    });
    const asked: string[] = [];
    const answering = (async (url: string) => (asked.push(url), new Response(null, { status: 401 }))) as unknown as typeof fetch;
    const up = await checkHubModel(ID, { HF_HUB_CACHE: empty, HF_ENDPOINT: 'https://mirror.invalid/' }, 1000, answering);
    assert.deepEqual(up, { cached: false, reachable: true, endpoint: 'https://mirror.invalid' });
    assert.deepEqual(asked, [`https://mirror.invalid/api/models/${ID}`]);
  });

  it('a refused connection and a silent server are unreachable, with the reason', async () => {
    const empty = tempDir();
    const refused = await checkHubModel(ID, { HF_HUB_CACHE: empty, HF_ENDPOINT: 'http://127.0.0.1:45999' }, 2000);
    assert.equal(refused.reachable, false);
    assert.equal(refused.reason, 'ECONNREFUSED');
    const silent = (async (_url: string, init: RequestInit) =>
      new Promise((_, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)))) as unknown as typeof fetch;
    // AbortSignal.timeout's timer does not hold the event loop open (the extension host does): this one does.
    const alive = setTimeout(() => {}, 10_000);
    const slow = await checkHubModel(ID, { HF_HUB_CACHE: empty }, 200, silent).finally(() => clearTimeout(alive));
    assert.deepEqual(slow, { cached: false, reachable: false, reason: 'no answer in 0 s', endpoint: 'https://huggingface.co' });
  });

  it("knows a run that failed for want of its model by the trainer's messages, naming the setting", async () => {
    const empty = tempDir();
    const failing = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } });
    }) as unknown as typeof fetch;
    const offline = await downloadModel(ID, { cacheDir: empty, fetch: failing }).catch((e: Error) => e.message);
    assert.match(String(offline), /Could not reach https:\/\/huggingface\.co \(ENOTFOUND\).*bertTune\.hub\.endpoint/);
    assert.ok(isModelUnavailable(String(offline)));
    const flagged = await downloadModel(ID, { cacheDir: empty, offline: true }).catch((e: Error) => e.message);
    assert.ok(isModelUnavailable(String(flagged)));
    assert.ok(!isModelUnavailable('CUDA out of memory'));
    assert.ok(!isModelUnavailable(undefined));
  });
});
