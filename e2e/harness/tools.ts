// Where the test harness finds the upstream binaries `make tools` builds (hack/tools/build.sh).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const crdsDir = join(repoRoot, 'crds');
/** Symlinks to the version-keyed build cache; KOVA_TOOLS_BIN overrides. */
export const toolsBinDir = process.env.KOVA_TOOLS_BIN ?? join(repoRoot, '.tools', 'bin');

export function toolPath(tool: string): string {
  const path = join(toolsBinDir, tool);
  if (!existsSync(path)) throw new Error(`${tool} not found in ${toolsBinDir}: run \`make tools\``);
  // Resolve the link so the processes' command lines name the cached binary, not the link.
  return realpathSync(path);
}

/** The pinned versions in hack/tools/versions.env (K8S_VERSION, ETCD_VERSION, HELM_VERSION). */
export function toolVersions(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(repoRoot, 'hack', 'tools', 'versions.env'), 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}
