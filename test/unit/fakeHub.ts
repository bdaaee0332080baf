/**
 * A local HTTP server that answers like the Hugging Face Hub's resolve endpoint, serving model
 * folders from disk: ETag / X-Repo-Commit / X-Linked-* headers, LFS files redirected to a CDN
 * path, byte ranges, tokens, and faults on demand. No test touches the internet.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface FakeRepo {
  dir: string;
  commit: string;
  /** Requests need "Authorization: Bearer <token>". */
  token?: string;
}

export class FakeHub {
  readonly requests: string[] = [];
  /** The Authorization header of every request, by path ('' when none came). */
  readonly authorizations: { path: string; authorization: string }[] = [];
  /** Where LFS files are redirected: this server's /cdn by default, or another server's. */
  cdnEndpoint?: string;
  /** HEAD on a resolve URL of this file answers with a redirect to this Location, as given. */
  headRedirects = new Map<string, string>();
  /** GETs of this file are answered by the headers, then this many bytes, then nothing. */
  stallAfter = new Map<string, number>();
  /** GETs of this file claim this Content-Length and send bytes until the client stops. */
  overclaim = new Map<string, number>();
  /** Cut the connection after this many bytes of the next GET of this file (then serve normally). */
  dropAfter = new Map<string, number>();
  private server!: http.Server;
  endpoint = '';

  constructor(readonly repos: Record<string, FakeRepo>) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>(r => this.server.listen(0, '127.0.0.1', r));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(r => this.server.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url!, this.endpoint);
    this.requests.push(`${req.method} ${url.pathname}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    this.authorizations.push({ path: url.pathname, authorization: req.headers.authorization ?? '' });
    const cdn = url.pathname.match(/^\/cdn\/([^/]+)\/(.+)$/);
    if (cdn) return this.serve(req, res, path.join(this.repos[decodeURIComponent(cdn[1])].dir, cdn[2]), cdn[2]);
    const m = url.pathname.match(/^\/(.+)\/resolve\/([^/]+)\/(.+)$/);
    const repo = m && this.repos[m[1]];
    if (!m || !repo) {
      res.writeHead(404, { 'X-Error-Code': 'RepoNotFound' }).end();
      return;
    }
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      res.writeHead(401).end();
      return;
    }
    const revision = decodeURIComponent(m[2]);
    if (revision !== 'main' && revision !== repo.commit) {
      res.writeHead(404, { 'X-Error-Code': 'RevisionNotFound' }).end();
      return;
    }
    const redirect = this.headRedirects.get(m[3]);
    if (redirect && req.method === 'HEAD') {
      res.writeHead(302, { Location: redirect }).end();
      return;
    }
    const file = path.join(repo.dir, m[3]);
    if (!fs.existsSync(file)) {
      res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': repo.commit }).end();
      return;
    }
    const bytes = fs.readFileSync(file);
    if (m[3].endsWith('.safetensors') || m[3].endsWith('.bin')) {
      // LFS: the Hub redirects to its CDN and names the content by its SHA-256
      const sha = createHash('sha256').update(bytes).digest('hex');
      res.writeHead(302, {
        Location: `${this.cdnEndpoint ?? this.endpoint}/cdn/${encodeURIComponent(m[1])}/${m[3]}`,
        'X-Repo-Commit': repo.commit,
        'X-Linked-Etag': `"${sha}"`,
        'X-Linked-Size': String(bytes.length),
        ETag: '"git-pointer-etag"',
      });
      res.end();
      return;
    }
    const etag = createHash('sha1').update(bytes).digest('hex');
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'X-Repo-Commit': repo.commit, ETag: `"${etag}"`, 'Content-Length': String(bytes.length) }).end();
      return;
    }
    this.serve(req, res, file, m[3]);
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse, file: string, name: string): void {
    const bytes = fs.readFileSync(file);
    let start = 0;
    const range = req.headers.range?.match(/^bytes=(\d+)-$/);
    if (range) start = Number(range[1]);
    if (start > bytes.length) {
      res.writeHead(416).end();
      return;
    }
    const body = bytes.subarray(start);
    const claim = this.overclaim.get(name);
    if (claim !== undefined && req.method === 'GET') {
      // a claimed length (0: none, chunked), then bytes for as long as the client reads
      res.writeHead(200, claim ? { 'Content-Length': String(claim) } : {});
      const chunk = Buffer.alloc(64 * 1024);
      const more = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', more);
      };
      more();
      return;
    }
    res.writeHead(range ? 206 : 200, {
      'Content-Length': String(body.length),
      ...(range ? { 'Content-Range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    const stall = this.stallAfter.get(name);
    if (stall !== undefined && req.method === 'GET') {
      res.write(body.subarray(0, stall)); // then nothing, with the connection open
      return;
    }
    const drop = this.dropAfter.get(name);
    if (drop !== undefined && req.method === 'GET') {
      this.dropAfter.delete(name);
      res.write(body.subarray(0, drop), () => res.destroy());
      return;
    }
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
