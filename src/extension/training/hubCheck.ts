/**
 * Whether a Hub model can be had before a run starts: in the cache (as huggingface_hub lays it
 * out, so Python's downloads count), or from the endpoint, which is asked once with a short
 * timeout. Offline, the wizard says so while the user can still choose another model, instead
 * of the run failing after it.
 */
import { hubCacheDir, hubEndpoint, isHubOffline, networkReason, RepoCache } from '../../shared/hubCache';
import { validateModelId } from '../../shared/modelId';

export interface HubAvailability {
  cached: boolean;
  /** Undefined when not asked (cached, or offline by HF_HUB_OFFLINE). */
  reachable?: boolean;
  /** Why not reachable: the network's word, or "HF_HUB_OFFLINE is set". */
  reason?: string;
  endpoint: string;
}

/** How long the wizard waits for the Hub before it calls it unreachable. */
export const HUB_CHECK_MS = 4000;

/** A Hub id (owner/name[@revision]) whose snapshot the cache holds whole; false for anything else. */
export function isCachedHubModel(ref: string, env: NodeJS.ProcessEnv): boolean {
  const [id, revision] = ref.split('@');
  try {
    return new RepoCache(hubCacheDir(env), validateModelId(id)).complete(revision ?? 'main') !== undefined;
  } catch {
    return false;
  }
}

export async function checkHubModel(ref: string, env: NodeJS.ProcessEnv, timeoutMs = HUB_CHECK_MS, fetchImpl: typeof fetch = fetch): Promise<HubAvailability> {
  const endpoint = hubEndpoint(env.HF_ENDPOINT);
  if (isCachedHubModel(ref, env)) return { cached: true, endpoint };
  if (isHubOffline(env)) return { cached: false, reachable: false, reason: 'HF_HUB_OFFLINE is set', endpoint };
  const [id] = ref.split('@');
  try {
    // Any answer (a 401 for a gated model, a 404) means the server is there; the download says the rest.
    await fetchImpl(`${endpoint}/api/models/${id}`, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    return { cached: false, reachable: true, endpoint };
  } catch (e) {
    const reason = (e as Error).name === 'TimeoutError' ? `no answer in ${Math.round(timeoutMs / 1000)} s` : networkReason(e);
    return { cached: false, reachable: false, reason, endpoint };
  }
}

/** A run that failed for want of its base model (the trainer's words): the Hub unreachable or offline, and no cached copy. */
export function isModelUnavailable(message: string | undefined): boolean {
  return message !== undefined && /is not in the cache \(|HF_HUB_OFFLINE is set and/.test(message);
}
