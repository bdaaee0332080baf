/**
 * Downloads a BERT model from the Hugging Face Hub (or a mirror) into the standard cache, as
 * Python's huggingface_hub does: only the files a BERT classifier needs, resumable, verified
 * against the Hub's SHA-256 where it gives one, with progress. Offline or unreachable, the
 * cached copy is used, and where there is none the error says what to do.
 *
 * (@huggingface/hub's downloadFileToCacheDir neither resumes, reports progress nor works
 * offline, so this speaks the Hub's resolve endpoint directly.)
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { familyOfModelType, supportedModelTypes } from '../../shared/families';
import { hubCacheDir, hubEndpoint, isHubOffline, networkReason, RepoCache, WEIGHT_FILES } from '../../shared/hubCache';
import { isCommitHash, validateModelId, validateRevision } from '../../shared/modelId';
import { CHECKPOINT_FILES } from '../../shared/runFolder';

export interface HubProgress {
  file: string;
  downloaded: number;
  /** undefined when the server does not say */
  total?: number;
}

export interface HubOptions {
  revision?: string;
  /** HF_ENDPOINT, default https://huggingface.co */
  endpoint?: string;
  /** HF_TOKEN */
  token?: string;
  /** HF_HUB_OFFLINE */
  offline?: boolean;
  /** HF_HUB_CACHE, or HF_HOME/hub, or ~/.cache/huggingface/hub */
  cacheDir?: string;
  onProgress?: (p: HubProgress) => void;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** A request that sends nothing for this long fails (HF_HUB_DOWNLOAD_TIMEOUT, in seconds there; default 30 s). */
  stallTimeoutMs?: number;
}

const DEFAULT_STALL_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 5;

export interface DownloadedModel {
  /** The snapshot folder: config.json, vocab.txt, weights... */
  dir: string;
  commit: string;
  fromCache: boolean;
  notices: string[];
}

export class HubError extends Error {}

/**
 * The tokenizer's files, in the order they are looked for. Where a repository has no
 * tokenizer.json, a DeBERTa-v2/v3's is its spm.model and an older RoBERTa's its vocab.json and
 * merges.txt (converted as transformers converts them: tokenizer/sentencePiece.ts, bpeFiles.ts).
 */
const TOKENIZER_FILES = [
  'tokenizer_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'vocab.txt',
  'spm.model',
  'sentencepiece.bpe.model',
  'vocab.json',
  'merges.txt',
];
const CONVERTED: Record<string, string> = {
  'spm.model': 'deberta-v2',
  'sentencepiece.bpe.model': 'xlm-roberta',
  'vocab.json': 'roberta',
  'merges.txt': 'roberta',
};

/** A config.json of a model_type no family computes is refused before its weights are downloaded; its model_type otherwise. */
function refuseUnknownFamily(id: string, configFile: string): string | undefined {
  let modelType: unknown;
  try {
    modelType = (JSON.parse(fs.readFileSync(configFile, 'utf8')) as { model_type?: unknown }).model_type ?? 'bert';
  } catch {
    return undefined; // read again, with its own message, when the model loads
  }
  if (typeof modelType !== 'string' || !familyOfModelType(modelType))
    throw new HubError(
      `${id} is a model of type ${JSON.stringify(modelType)}, which BERT Tune does not run. It runs these model types: ${supportedModelTypes()}.`,
    );
  return modelType;
}

/** config.json's problem_type, if it reads. */
function problemTypeOf(configFile: string): unknown {
  try {
    return (JSON.parse(fs.readFileSync(configFile, 'utf8')) as { problem_type?: unknown }).problem_type;
  } catch {
    return undefined;
  }
}

const WEIGHTS = WEIGHT_FILES.map(file => ({ file, index: file.endsWith('.index.json') }));

export function hubOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): HubOptions {
  return {
    endpoint: env.HF_ENDPOINT,
    token: env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN,
    offline: isHubOffline(env),
    cacheDir: hubCacheDir(env),
    ...(Number(env.HF_HUB_DOWNLOAD_TIMEOUT) > 0 ? { stallTimeoutMs: Number(env.HF_HUB_DOWNLOAD_TIMEOUT) * 1000 } : {}),
  };
}

interface FileMeta {
  commit: string;
  etag: string;
  size?: number;
  url: string;
}

export async function downloadModel(modelId: string, options: HubOptions = {}): Promise<DownloadedModel> {
  const id = validateModelId(modelId);
  const revision = validateRevision(options.revision ?? 'main');
  const cache = new RepoCache(options.cacheDir ?? hubCacheDir(), id);
  const endpoint = hubEndpoint(options.endpoint);
  if (options.offline) {
    const cached = cachedModel(cache, revision);
    if (cached) return { ...cached, notices: ['HF_HUB_OFFLINE is set: using the cached copy.'] };
    throw new HubError(
      `HF_HUB_OFFLINE is set and ${id}@${revision} is not in the cache (${cache.root}). Unset HF_HUB_OFFLINE to download it, or pick a local folder.`,
    );
  }
  const session = new HubSession(id, endpoint, cache, options);
  try {
    const config = await session.meta('config.json', revision);
    if (!config) throw new HubError(`${id} has no config.json at ${revision}: is it a model repository?`);
    // Every later file comes from the same commit, even if the branch moves meanwhile.
    const commit = config.commit;
    const configFile = await session.fetch('config.json', config);
    const modelType = refuseUnknownFamily(id, configFile);
    // The tokenizer: tokenizer.json (every family's, as transformers saves it), a BERT vocab.txt,
    // or, only where there is no tokenizer.json, DeBERTa's spm.model or RoBERTa's vocab.json + merges.txt.
    const got = new Set<string>();
    for (const f of TOKENIZER_FILES) {
      if (CONVERTED[f] && (got.has('tokenizer.json') || modelType !== CONVERTED[f])) continue;
      const meta = await session.meta(f, commit);
      if (!meta) continue;
      await session.fetch(f, meta);
      got.add(f);
    }
    if (!['tokenizer.json', 'vocab.txt', 'spm.model', 'sentencepiece.bpe.model', 'vocab.json'].some(f => got.has(f)))
      throw new HubError(
        `${id} has no tokenizer.json (nor a BERT vocab.txt, DeBERTa's spm.model, XLM-R's sentencepiece.bpe.model or RoBERTa's vocab.json and merges.txt), which BERT Tune reads the tokenizer from. It can be given one in Python: AutoTokenizer.from_pretrained("${id}").save_pretrained(folder), then pick that folder with the model's other files.`,
      );
    // A multi-label classifier BERT Tune trained keeps its tuned thresholds beside config.json.
    if (problemTypeOf(configFile) === 'multi_label_classification') {
      const meta = await session.meta(CHECKPOINT_FILES.thresholds, commit);
      if (meta) await session.fetch(CHECKPOINT_FILES.thresholds, meta);
    }
    let weights: string | undefined;
    for (const w of WEIGHTS) {
      const meta = await session.meta(w.file, commit);
      if (!meta) continue;
      const local = await session.fetch(w.file, meta);
      if (w.index) {
        for (const shard of shardsOf(local, id)) {
          const m = await session.meta(shard, commit);
          if (!m) throw new HubError(`${id}: ${w.file} names ${shard}, which the repository does not have`);
          await session.fetch(shard, m);
        }
      }
      weights = w.file;
      break;
    }
    if (!weights) throw new HubError(`${id} has no weights BERT Tune can read (model.safetensors or pytorch_model.bin).`);
    cache.writeRef(revision, commit);
    return { dir: cache.snapshotDir(commit), commit, fromCache: false, notices: [] };
  } catch (e) {
    if (e instanceof HubError || options.signal?.aborted) throw e;
    const reason = networkReason(e);
    const cached = cachedModel(cache, revision);
    if (cached) return { ...cached, notices: [`Could not reach ${endpoint} (${reason}): using the cached copy of ${id}.`] };
    throw new HubError(
      `Could not reach ${endpoint} (${reason}) and ${id} is not in the cache (${cache.root}). Check the connection or proxy, set a mirror (the setting bertTune.hub.endpoint in VS Code, HF_ENDPOINT elsewhere), or pick a local folder.`,
    );
  }
}

function cachedModel(cache: RepoCache, revision: string): Omit<DownloadedModel, 'notices'> | undefined {
  const snapshot = cache.complete(revision);
  return snapshot && { ...snapshot, fromCache: true };
}

function shardsOf(indexFile: string, id: string): string[] {
  let map: unknown;
  try {
    map = JSON.parse(fs.readFileSync(indexFile, 'utf8')).weight_map;
  } catch (e) {
    throw new HubError(`${id}: its weights index is not valid JSON (${(e as Error).message})`);
  }
  if (!map || typeof map !== 'object') throw new HubError(`${id}: its weights index has no weight_map`);
  const shards = [...new Set(Object.values(map as Record<string, unknown>))];
  for (const s of shards) {
    if (typeof s !== 'string' || !/^[\w.-]+$/.test(s) || s.startsWith('.'))
      throw new HubError(`${id}: its weights index names ${JSON.stringify(s)}, not a plain file name`);
  }
  return shards as string[];
}

class HubSession {
  private readonly doFetch: typeof fetch;
  private readonly origin: string;
  private readonly stallMs: number;

  constructor(
    private readonly id: string,
    private readonly endpoint: string,
    private readonly cache: RepoCache,
    private readonly options: HubOptions,
  ) {
    this.doFetch = options.fetch ?? fetch;
    this.origin = new URL(endpoint).origin;
    this.stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  }

  /** The token goes to the endpoint's own origin only: never to a CDN or any host a redirect names. */
  private headers(url: string, extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { 'Accept-Encoding': 'identity', 'User-Agent': 'bert-tune', ...extra };
    if (this.options.token && new URL(url).origin === this.origin) h.Authorization = `Bearer ${this.options.token}`;
    return h;
  }

  /**
   * One request, redirects followed by hand (so each hop's headers are chosen for its origin),
   * failing when the server sends no headers for stallMs. `sameOriginOnly` stops at a redirect
   * that is not a relative one and returns it, as huggingface_hub's HEAD does: its headers
   * carry the file's metadata (an LFS file's redirect to the CDN).
   */
  private async request(
    url: string,
    method: 'HEAD' | 'GET',
    extra: Record<string, string>,
    sameOriginOnly: boolean,
    stall: Stall,
  ): Promise<{ res: Response; url: string }> {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const res = await stall.race(this.doFetch(url, { method, headers: this.headers(url, extra), redirect: 'manual', signal: stall.signal }));
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { res, url };
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && next.protocol !== 'http:')
        throw new HubError(`${this.endpoint} redirected ${this.id} to ${next.protocol} URL, which BERT Tune does not follow`);
      // HEAD follows relative redirects only, as huggingface_hub does ("//host/..." and "/\host/..." name another host)
      if (sameOriginOnly && (/^[a-z][a-z0-9+.-]*:/i.test(location) || next.origin !== new URL(url).origin)) return { res, url };
      await res.body?.cancel().catch(() => undefined);
      url = next.toString();
    }
    throw new HubError(`too many redirects for ${this.id} (more than ${MAX_REDIRECTS})`);
  }

  /** HEAD on the resolve URL: commit, etag and size, following only same-origin redirects (renamed repos). */
  async meta(file: string, revision: string): Promise<FileMeta | undefined> {
    const stall = new Stall(this.stallMs, this.options.signal, () => `${this.endpoint} did not answer for ${this.stallMs / 1000} s about ${this.id}/${file}`);
    try {
      const first = `${this.endpoint}/${this.id}/resolve/${encodeURIComponent(revision)}/${file}`;
      const { res, url } = await this.request(first, 'HEAD', {}, true, stall);
      return this.readMeta(res, url, file, revision);
    } finally {
      stall.dispose();
    }
  }

  private readMeta(res: Response, url: string, file: string, revision: string): FileMeta | undefined {
    if (res.status === 401 || res.status === 403) {
      throw new HubError(
        `${this.id} needs permission (HTTP ${res.status}): it is private or gated. Set HF_TOKEN to an access token (https://huggingface.co/settings/tokens) and accept the model's terms on its page.`,
      );
    }
    if (res.status === 404) {
      if (res.headers.get('x-error-code') === 'RepoNotFound') {
        throw new HubError(`There is no model "${this.id}" on ${this.endpoint} (or it is private: set HF_TOKEN). Check the id.`);
      }
      if (res.headers.get('x-error-code') === 'RevisionNotFound') throw new HubError(`${this.id} has no revision "${revision}".`);
      return undefined;
    }
    if (!(res.ok || (res.status >= 300 && res.status < 400))) throw new HubError(`${this.endpoint} answered HTTP ${res.status} for ${this.id}/${file}`);
    const commit = res.headers.get('x-repo-commit') ?? (isCommitHash(revision) ? revision : undefined);
    const rawEtag = res.headers.get('x-linked-etag') ?? res.headers.get('etag');
    if (!commit || !isCommitHash(commit) || !rawEtag)
      throw new HubError(`${this.endpoint} did not send the commit and ETag headers of a Hugging Face Hub for ${file}`);
    const size = Number(res.headers.get('x-linked-size') ?? res.headers.get('content-length') ?? NaN);
    return { commit, etag: rawEtag.replace(/^W\//, '').replace(/"/g, ''), size: Number.isFinite(size) && size >= 0 ? size : undefined, url };
  }

  /** The file in the snapshot folder: already there, linked from a known blob, or downloaded (resuming a partial one). */
  async fetch(file: string, meta: FileMeta): Promise<string> {
    const pointer = this.cache.snapshotFile(meta.commit, file);
    if (fs.existsSync(pointer)) return pointer;
    const blob = this.cache.blobPath(meta.etag);
    if (fs.existsSync(blob)) return this.cache.link(meta.commit, file, blob);
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    const partial = `${blob}.incomplete`;
    let have = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
    if (meta.size !== undefined && have > meta.size) {
      fs.rmSync(partial, { force: true }); // longer than the file: start over
      have = 0;
    }
    const total = meta.size;
    let downloaded = have;
    const stall = new Stall(
      this.stallMs,
      this.options.signal,
      () =>
        `${this.endpoint} sent nothing for ${this.stallMs / 1000} s while downloading ${this.id}/${file} (${downloaded} of ${total ?? '?'} bytes). What arrived is kept: try again to resume.`,
    );
    try {
      const { res } = await this.request(meta.url, 'GET', have ? { Range: `bytes=${have}-` } : {}, false, stall);
      if (res.status === 416) {
        await res.body?.cancel().catch(() => undefined);
        fs.rmSync(partial, { force: true });
        return this.fetch(file, meta);
      }
      if (!res.ok || !res.body) throw new HubError(`${this.endpoint} answered HTTP ${res.status} while downloading ${this.id}/${file}`);
      if (res.status !== 206) downloaded = have = 0; // no range support: the whole file comes again
      const claimed = Number(res.headers.get('content-length') ?? NaN);
      if (total !== undefined && Number.isFinite(claimed) && have + claimed > total) {
        await res.body.cancel().catch(() => undefined);
        throw new HubError(`${this.endpoint} offered ${have + claimed} bytes for ${this.id}/${file}, which its metadata says has ${total}: refused.`);
      }
      const sha = /^[0-9a-f]{64}$/.test(meta.etag) ? createHash('sha256') : undefined;
      if (have && sha) sha.update(fs.readFileSync(partial));
      const out = fs.createWriteStream(partial, { flags: have ? 'a' : 'w' });
      this.options.onProgress?.({ file, downloaded, total });
      try {
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        for (;;) {
          const { done, value } = await stall.race(reader.read());
          if (done) break;
          if (total !== undefined && downloaded + value.length > total) {
            await reader.cancel().catch(() => undefined);
            throw new HubError(`${this.endpoint} sent more than the ${total} bytes of ${this.id}/${file}: refused.`);
          }
          sha?.update(value);
          downloaded += value.length;
          if (!out.write(value)) await new Promise<void>(r => out.once('drain', () => r()));
          this.options.onProgress?.({ file, downloaded, total });
        }
      } finally {
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      }
      if (total !== undefined && downloaded !== total) throw new Error(`download of ${file} stopped at ${downloaded} of ${total} bytes`);
      if (sha) {
        const digest = sha.digest('hex');
        if (digest !== meta.etag) {
          fs.rmSync(partial, { force: true });
          throw new HubError(`${this.id}/${file} arrived corrupted (SHA-256 ${digest}, expected ${meta.etag}); try again.`);
        }
      }
    } finally {
      stall.dispose();
    }
    fs.renameSync(partial, blob);
    return this.cache.link(meta.commit, file, blob);
  }
}

/**
 * A deadline renewed by every arrival: race() fails once nothing has come for `ms`, and aborts
 * the request so its socket closes. The caller's own signal aborts it too.
 */
class Stall {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.controller.abort(this.outer?.reason);

  constructor(
    private readonly ms: number,
    private readonly outer: AbortSignal | undefined,
    private readonly message: () => string,
  ) {
    outer?.addEventListener('abort', this.onAbort, { once: true });
    if (outer?.aborted) this.controller.abort(outer.reason);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  race<T>(p: Promise<T>): Promise<T> {
    clearTimeout(this.timer);
    const timeout = new Promise<never>((_, reject) => {
      this.timer = setTimeout(() => {
        const e = new HubError(this.message());
        this.controller.abort(e);
        reject(e);
      }, this.ms);
    });
    timeout.catch(() => undefined);
    return Promise.race([p, timeout]).finally(() => clearTimeout(this.timer));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onAbort);
  }
}
