import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hubCacheDir } from '../../src/shared/hubCache';
import { downloadModel, HubError, hubOptionsFromEnv, type HubProgress } from '../../src/trainer/hub/hubDownload';
import { validateModelId } from '../../src/shared/modelId';
import { resolveModel } from '../../src/trainer/hub/resolveModel';
import { FakeHub } from './fakeHub';
import { initCheckpoint } from '../../src/trainer/checkpoint/hfCheckpoint';
import { parseModelConfig } from '../../src/trainer/model/config';
import { tempDir } from './helpers';

const TINY = path.join(__dirname, '..', 'fixtures', 'reference', 'tiny-bert');
const COMMIT = 'a'.repeat(40);
const ROBERTA = path.join(__dirname, '..', 'fixtures', 'families', 'tiny-roberta');
const DEBERTA_TOKENIZER = path.join(__dirname, '..', 'fixtures', 'families', 'deberta-v3-tokenizer');
const XLMR_TOKENIZER = path.join(__dirname, '..', 'fixtures', 'families', 'xlmr-tokenizer');

describe('Hub downloads (against a local fake Hub)', () => {
  let hub: FakeHub;
  before(async () => {
    const bare = tempDir();
    for (const f of ['config.json', 'vocab.txt', 'model.safetensors']) fs.copyFileSync(path.join(TINY, f), path.join(bare, f));
    const albert = tempDir();
    for (const f of ['vocab.txt', 'model.safetensors']) fs.copyFileSync(path.join(TINY, f), path.join(albert, f));
    fs.writeFileSync(path.join(albert, 'config.json'), JSON.stringify({ model_type: 'albert' }));
    const spmOnly = tempDir();
    fs.copyFileSync(path.join(ROBERTA, 'model.safetensors'), path.join(spmOnly, 'model.safetensors'));
    fs.copyFileSync(path.join(ROBERTA, 'config.json'), path.join(spmOnly, 'config.json'));
    fs.writeFileSync(path.join(spmOnly, 'spm.model'), 'not read');
    const debertaSpm = tempDir();
    await initCheckpoint(
      parseModelConfig({
        model_type: 'deberta-v2',
        vocab_size: 3001,
        hidden_size: 16,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 32,
        relative_attention: true,
        pos_att_type: 'p2c|c2p',
        position_buckets: 8,
        share_att_key: true,
        position_biased_input: false,
        id2label: { 0: 'a', 1: 'b' },
      }),
      DEBERTA_TOKENIZER,
      debertaSpm,
      1,
    );
    fs.rmSync(path.join(debertaSpm, 'tokenizer.json'));
    const xlmrSpm = tempDir();
    await initCheckpoint(
      parseModelConfig({
        model_type: 'xlm-roberta',
        vocab_size: 3002,
        hidden_size: 16,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 32,
        max_position_embeddings: 66,
        type_vocab_size: 1,
        pad_token_id: 1,
        id2label: { 0: 'a', 1: 'b' },
      }),
      XLMR_TOKENIZER,
      xlmrSpm,
      1,
    );
    fs.rmSync(path.join(xlmrSpm, 'tokenizer.json'));
    const robertaBpe = tempDir();
    for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(path.join(ROBERTA, f), path.join(robertaBpe, f));
    const robertaJson = JSON.parse(fs.readFileSync(path.join(ROBERTA, 'tokenizer.json'), 'utf8')) as { model: { vocab: object; merges: string[][] } };
    fs.writeFileSync(path.join(robertaBpe, 'vocab.json'), JSON.stringify(robertaJson.model.vocab));
    fs.writeFileSync(path.join(robertaBpe, 'merges.txt'), robertaJson.model.merges.map(m => m.join(' ')).join('\n') + '\n');
    hub = await new FakeHub({
      'test-org/roberta-bpe': { dir: robertaBpe, commit: '2'.repeat(40) },
      'test-org/deberta-spm': { dir: debertaSpm, commit: '1'.repeat(40) },
      'test-org/xlmr-spm': { dir: xlmrSpm, commit: '3'.repeat(40) },
      'test-org/tiny-roberta': { dir: ROBERTA, commit: 'd'.repeat(40) },
      'test-org/albert': { dir: albert, commit: 'e'.repeat(40) },
      'test-org/spm-only': { dir: spmOnly, commit: 'f'.repeat(40) },
      'test-org/tiny-bert': { dir: TINY, commit: COMMIT },
      'test-org/private': { dir: TINY, commit: 'b'.repeat(40), token: 'hf_secret' },
      'bare-model': { dir: bare, commit: 'c'.repeat(40) },
    }).start();
  });
  after(() => hub.stop());

  it('downloads only the files a BERT classifier needs, into the huggingface_hub cache layout', async () => {
    const cacheDir = tempDir();
    const progress: HubProgress[] = [];
    const got = await downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir, onProgress: p => progress.push(p) });
    const repo = path.join(cacheDir, 'models--test-org--tiny-bert');
    assert.equal(got.dir, path.join(repo, 'snapshots', COMMIT));
    assert.equal(got.fromCache, false);
    assert.deepEqual(fs.readdirSync(got.dir).sort(), ['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.txt']);
    assert.equal(fs.readFileSync(path.join(repo, 'refs', 'main'), 'utf8'), COMMIT);
    assert.ok(fs.lstatSync(path.join(got.dir, 'model.safetensors')).isSymbolicLink());
    assert.ok(fs.readFileSync(path.join(got.dir, 'model.safetensors')).equals(fs.readFileSync(path.join(TINY, 'model.safetensors'))));
    assert.ok(!hub.requests.some(r => /logits\.jsonl|train-steps/.test(r)), 'no file the model does not need');
    const last = progress.filter(p => p.file === 'model.safetensors').at(-1)!;
    assert.equal(last.downloaded, fs.statSync(path.join(TINY, 'model.safetensors')).size);
    assert.equal(last.total, last.downloaded);
  });

  it("downloads another family's model with its tokenizer.json and no vocab.txt", async () => {
    const got = await downloadModel('test-org/tiny-roberta', { endpoint: hub.endpoint, cacheDir: tempDir() });
    assert.deepEqual(fs.readdirSync(got.dir).sort(), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  });

  it('downloads DeBERTa-v3 as its repository ships it: spm.model, no tokenizer.json, and the model loads', async () => {
    const got = await downloadModel('test-org/deberta-spm', { endpoint: hub.endpoint, cacheDir: tempDir() });
    assert.deepEqual(fs.readdirSync(got.dir).sort(), ['config.json', 'model.safetensors', 'spm.model', 'tokenizer_config.json']);
    const { loadCheckpoint } = await import('../../src/trainer/checkpoint/hfCheckpoint');
    const { useBackend } = await import('./backendSetup');
    await useBackend('wasm');
    const loaded = loadCheckpoint(got.dir);
    assert.equal(loaded.tokenizer.source, 'spm.model');
    loaded.model.dispose();
  });

  it("downloads an older XLM-R with sentencepiece.bpe.model, no tokenizer.json, and the model loads with transformers' conversion", async () => {
    const got = await downloadModel('test-org/xlmr-spm', { endpoint: hub.endpoint, cacheDir: tempDir() });
    assert.deepEqual(fs.readdirSync(got.dir).sort(), ['config.json', 'model.safetensors', 'sentencepiece.bpe.model', 'tokenizer_config.json']);
    const { loadCheckpoint } = await import('../../src/trainer/checkpoint/hfCheckpoint');
    const { useBackend } = await import('./backendSetup');
    await useBackend('wasm');
    const loaded = loadCheckpoint(got.dir);
    assert.equal(loaded.tokenizer.source, 'sentencepiece.bpe.model');
    loaded.model.dispose();
  });

  it('downloads an older RoBERTa with vocab.json and merges.txt, no tokenizer.json, and the model loads', async () => {
    const got = await downloadModel('test-org/roberta-bpe', { endpoint: hub.endpoint, cacheDir: tempDir() });
    assert.deepEqual(fs.readdirSync(got.dir).sort(), ['config.json', 'merges.txt', 'model.safetensors', 'vocab.json']);
    const { loadCheckpoint } = await import('../../src/trainer/checkpoint/hfCheckpoint');
    const { useBackend } = await import('./backendSetup');
    await useBackend('wasm');
    const loaded = loadCheckpoint(got.dir);
    assert.equal(loaded.tokenizer.source, 'vocab.json');
    loaded.model.dispose();
  });

  it('refuses a model of no family it runs before downloading its weights, naming the families it runs', async () => {
    await assert.rejects(
      downloadModel('test-org/albert', { endpoint: hub.endpoint, cacheDir: tempDir() }),
      /test-org\/albert is a model of type "albert", which BERT Tune does not run\. It runs these model types: bert, distilbert, roberta/,
    );
    assert.ok(!hub.requests.some(r => r.includes('test-org/albert') && r.includes('model.safetensors')), 'no weights asked for');
  });

  it('refuses a repository without tokenizer.json or vocab.txt, saying how to give it one', async () => {
    await assert.rejects(
      downloadModel('test-org/spm-only', { endpoint: hub.endpoint, cacheDir: tempDir() }),
      /test-org\/spm-only has no tokenizer\.json .*AutoTokenizer\.from_pretrained\("test-org\/spm-only"\)\.save_pretrained\(folder\)/,
    );
  });

  it('uses the cache the second time, and offline', async () => {
    const cacheDir = tempDir();
    await downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir });
    const before = hub.requests.filter(r => r.startsWith('GET')).length;
    await downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir });
    assert.equal(hub.requests.filter(r => r.startsWith('GET')).length, before, 'no file downloaded twice');
    const requestsBefore = hub.requests.length;
    const offline = await downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir, offline: true });
    assert.equal(offline.fromCache, true);
    assert.equal(hub.requests.length, requestsBefore, 'offline sends nothing');
  });

  it('falls back to the cache when the Hub is unreachable, and says so', async () => {
    const cacheDir = tempDir();
    await downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir });
    const got = await downloadModel('test-org/tiny-bert', { endpoint: 'http://127.0.0.1:9', cacheDir });
    assert.equal(got.fromCache, true);
    assert.match(got.notices[0], /Could not reach http:\/\/127\.0\.0\.1:9 .*using the cached copy/);
  });

  it('says what to do when unreachable with nothing cached, or offline with nothing cached', async () => {
    await assert.rejects(
      downloadModel('test-org/tiny-bert', { endpoint: 'http://127.0.0.1:9', cacheDir: tempDir() }),
      /Could not reach .* not in the cache .*HF_ENDPOINT/,
    );
    await assert.rejects(downloadModel('test-org/tiny-bert', { cacheDir: tempDir(), offline: true }), /HF_HUB_OFFLINE is set/);
  });

  it('resumes a download cut off midway, and checks its SHA-256', async () => {
    const cacheDir = tempDir();
    hub.dropAfter.set('model.safetensors', 1_000_000);
    await assert.rejects(downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir }));
    const blobs = path.join(cacheDir, 'models--test-org--tiny-bert', 'blobs');
    const partial = fs.readdirSync(blobs).find(f => f.endsWith('.incomplete'))!;
    // what reached the disk before the cut (all of it, unless the socket error overtook the last chunks)
    const kept = fs.statSync(path.join(blobs, partial)).size;
    assert.ok(kept > 0 && kept <= 1_000_000, `${kept} bytes kept`);
    const got = await downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir });
    assert.ok(hub.requests.includes(`GET /cdn/test-org%2Ftiny-bert/model.safetensors bytes=${kept}-`), hub.requests.join('\n'));
    assert.ok(fs.readFileSync(path.join(got.dir, 'model.safetensors')).equals(fs.readFileSync(path.join(TINY, 'model.safetensors'))));
  });

  it('sends HF_TOKEN, and explains a private model without one', async () => {
    await assert.rejects(
      downloadModel('test-org/private', { endpoint: hub.endpoint, cacheDir: tempDir() }),
      (e: Error) => e instanceof HubError && /HF_TOKEN/.test(e.message),
    );
    const got = await downloadModel('test-org/private', { endpoint: hub.endpoint, cacheDir: tempDir(), token: 'hf_secret' });
    assert.ok(fs.existsSync(path.join(got.dir, 'config.json')));
  });

  it('sends HF_TOKEN to the endpoint only: never to a CDN on another origin, nor through a //host redirect', async () => {
    const other = await new FakeHub({ 'test-org/private': { dir: TINY, commit: 'b'.repeat(40) } }).start();
    try {
      hub.cdnEndpoint = other.endpoint;
      const got = await downloadModel('test-org/private', { endpoint: hub.endpoint, cacheDir: tempDir(), token: 'hf_secret' });
      assert.ok(fs.readFileSync(path.join(got.dir, 'model.safetensors')).equals(fs.readFileSync(path.join(TINY, 'model.safetensors'))));
      assert.ok(other.authorizations.length > 0, 'the weights came from the other origin');
      assert.deepEqual(
        other.authorizations.filter(a => a.authorization),
        [],
        'no token reached the other origin',
      );
      assert.ok(
        hub.authorizations.some(a => a.authorization === 'Bearer hf_secret'),
        'the endpoint got it',
      );

      // "//host:port/..." starts with "/" but names another origin
      other.authorizations.length = 0;
      hub.headRedirects.set('config.json', `//${new URL(other.endpoint).host}/test-org/private/resolve/main/config.json`);
      await assert.rejects(downloadModel('test-org/private', { endpoint: hub.endpoint, cacheDir: tempDir(), token: 'hf_secret' }), HubError);
      assert.deepEqual(
        other.authorizations.filter(a => a.authorization),
        [],
        'no token through a protocol-relative redirect',
      );
    } finally {
      hub.cdnEndpoint = undefined;
      hub.headRedirects.clear();
      await other.stop();
    }
  });

  it('follows a same-origin redirect with the token (a renamed repository)', async () => {
    hub.headRedirects.set('config.json', '/test-org/private/resolve/main/config.json');
    try {
      // the redirect loops back to itself: followed, with the token, until the hop limit
      await assert.rejects(downloadModel('test-org/private', { endpoint: hub.endpoint, cacheDir: tempDir(), token: 'hf_secret' }), /too many redirects/);
      const heads = hub.authorizations.slice(-6);
      assert.ok(heads.every(a => a.authorization === 'Bearer hf_secret'));
    } finally {
      hub.headRedirects.clear();
    }
  });

  it('gives up on a download that stalls, keeping what arrived for a resume', async () => {
    const cacheDir = tempDir();
    hub.stallAfter.set('model.safetensors', 1000);
    const started = Date.now();
    try {
      await assert.rejects(
        downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir, stallTimeoutMs: 300 }),
        (e: Error) =>
          e instanceof HubError && /sent nothing for 0\.3 s while downloading test-org\/tiny-bert\/model\.safetensors.*try again to resume/.test(e.message),
      );
    } finally {
      hub.stallAfter.clear();
    }
    assert.ok(Date.now() - started < 5000, 'failed promptly');
    const got = await downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir });
    assert.ok(fs.readFileSync(path.join(got.dir, 'model.safetensors')).equals(fs.readFileSync(path.join(TINY, 'model.safetensors'))));
    assert.equal(hubOptionsFromEnv({ HF_HUB_DOWNLOAD_TIMEOUT: '7' }).stallTimeoutMs, 7000);
  });

  it('refuses a body longer than the file its metadata describes, claimed or sent', async () => {
    const size = fs.statSync(path.join(TINY, 'model.safetensors')).size;
    for (const claim of [1e12, 0]) {
      hub.overclaim.set('model.safetensors', claim);
      const cacheDir = tempDir();
      try {
        await assert.rejects(
          downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir }),
          (e: Error) => e instanceof HubError && new RegExp(`${size}`).test(e.message) && /refused/.test(e.message),
        );
      } finally {
        hub.overclaim.clear();
      }
      const blobs = path.join(cacheDir, 'models--test-org--tiny-bert', 'blobs');
      const written = fs
        .readdirSync(blobs)
        .filter(f => f.endsWith('.incomplete'))
        .map(f => fs.statSync(path.join(blobs, f)).size);
      assert.ok(
        written.every(n => n <= size),
        `wrote ${written} bytes`,
      );
    }
  });

  it('names a model that does not exist, and a revision that does not', async () => {
    await assert.rejects(downloadModel('test-org/nothing', { endpoint: hub.endpoint, cacheDir: tempDir() }), /no model "test-org\/nothing"/);
    await assert.rejects(downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir: tempDir(), revision: 'v9' }), /no revision "v9"/);
  });

  it('resolves a model reference: a folder as is, owner/name@revision from the Hub', async () => {
    assert.deepEqual(await resolveModel(TINY, {}), { dir: TINY, notices: [] });
    await assert.rejects(resolveModel('./no/such/folder', {}), /no such model folder/);
    const got = await resolveModel(`test-org/tiny-bert@${COMMIT}`, { endpoint: hub.endpoint, cacheDir: tempDir() });
    assert.equal(got.hubId, 'test-org/tiny-bert');
    assert.match(got.dir, new RegExp(`snapshots/${COMMIT}$`));
  });

  it('pins a revision by commit, and tolerates a repo without tokenizer config files', async () => {
    const got = await downloadModel('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir: tempDir(), revision: COMMIT });
    assert.equal(got.commit, COMMIT);
    const bare = await downloadModel('bare-model', { endpoint: hub.endpoint, cacheDir: tempDir() });
    assert.deepEqual(fs.readdirSync(bare.dir).sort(), ['config.json', 'model.safetensors', 'vocab.txt']);
  });
});

describe('model ids and the cache location', () => {
  it('accepts Hub ids and refuses paths', () => {
    for (const ok of ['bert-base-uncased', 'google/bert_uncased_L-4_H-256_A-4', 'prajjwal1/bert-tiny', 'a/b.c']) assert.equal(validateModelId(ok), ok);
    for (const bad of ['../x', 'a/../b', '/etc/passwd', 'a/b/c', '', 'a\\b', '.hidden/x', 'a/..', 'C:/x', 'a b/c']) {
      assert.throws(() => validateModelId(bad), /not a Hugging Face model id/, bad);
    }
  });

  it('honours HF_HUB_CACHE, then HF_HOME, then ~/.cache', () => {
    assert.equal(hubCacheDir({ HF_HUB_CACHE: '/c', HF_HOME: '/h' }), '/c');
    assert.equal(hubCacheDir({ HF_HOME: '/h' }), path.join('/h', 'hub'));
    assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/x' }), path.join('/x', 'huggingface', 'hub'));
    const o = hubOptionsFromEnv({ HF_ENDPOINT: 'http://mirror', HF_TOKEN: 't', HF_HUB_OFFLINE: '1', HF_HOME: '/h' });
    assert.deepEqual(o, { endpoint: 'http://mirror', token: 't', offline: true, cacheDir: path.join('/h', 'hub') });
  });
});
