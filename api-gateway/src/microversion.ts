// Compute API microversions, after nova/api/openstack/api_version_request.py, the
// Request.set_api_version_request method of wsgi.py and the microversion_parse library.
import { ApiError } from './errors.ts';

export const API_VERSION_HEADER = 'OpenStack-API-Version';
export const LEGACY_API_VERSION_HEADER = 'X-OpenStack-Nova-API-Version';
export const SERVICE_TYPE = 'compute';

// Nova's regex: no leading zeros, so the text of a parsed version is already canonical ("2.01" is malformed).
const VERSION_RE = /^([1-9]\d*)\.([1-9]\d*|0)$/;

export class APIVersionRequest {
  // Digits are kept as bigint: Python ints are unbounded, so "2.99999999999999999999" must compare
  // (and be echoed in the 406 message) exactly.
  readonly major: bigint;
  readonly minor: bigint;

  constructor(major: bigint | number, minor: bigint | number) {
    this.major = BigInt(major);
    this.minor = BigInt(minor);
  }

  /** Parses "X.Y"; anything else is Nova's 400 InvalidAPIVersionString. */
  static parse(text: string): APIVersionRequest {
    const m = VERSION_RE.exec(text);
    if (!m) {
      throw new ApiError(
        400,
        `API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`,
      );
    }
    return new APIVersionRequest(BigInt(m[1]!), BigInt(m[2]!));
  }

  static from(v: APIVersionRequest | string): APIVersionRequest {
    return typeof v === 'string' ? APIVersionRequest.parse(v) : v;
  }

  /** -1, 0 or 1, comparing (major, minor) as a tuple. */
  compare(other: APIVersionRequest | string): -1 | 0 | 1 {
    const o = APIVersionRequest.from(other);
    if (this.major !== o.major) return this.major < o.major ? -1 : 1;
    if (this.minor !== o.minor) return this.minor < o.minor ? -1 : 1;
    return 0;
  }

  /** Inclusive range check; an undefined bound means "no limit" (Nova's null APIVersionRequest). */
  matches(min?: APIVersionRequest | string, max?: APIVersionRequest | string): boolean {
    return (min === undefined || this.compare(min) >= 0) && (max === undefined || this.compare(max) <= 0);
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

export const MIN_VERSION = new APIVersionRequest(2, 1);
// Zed's 2.93 and Nova master's 2.94-2.101 (FQDN hostnames, evacuate to stopped, pinned_availability_zone,
// server shares, image properties and scheduler hints in the server, the spice-direct console type;
// 2.101's body-less 202 for a volume attach never shows: without Cinder no attach succeeds).
export const MAX_VERSION = new APIVersionRequest(2, 101);
/** With no version header Nova serves the minimum, 2.1 (DEFAULT_API_VERSION). */
export const DEFAULT_VERSION = MIN_VERSION;

export type HeaderBag = Record<string, string | string[] | undefined>;

/** Case-insensitive header lookup; repeated headers are folded with ',' as microversion_parse does. */
function header(headers: HeaderBag, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === lower && v !== undefined) return Array.isArray(v) ? v.join(',') : v;
  }
  return undefined;
}

/**
 * The raw version string the client asked for, or undefined (microversion_parse.get_version).
 * The standard header wins; inside it the LAST "compute" entry wins; the service name is
 * case-insensitive, entries without a space are skipped. If it names no compute version, the
 * legacy header is read and its LAST comma-separated value is used, even if empty.
 */
export function requestedVersionString(headers: HeaderBag): string | undefined {
  const std = header(headers, API_VERSION_HEADER);
  if (std !== undefined) {
    for (const entry of std.split(',').reverse()) {
      const m = /^(\S+)\s+(.+)$/s.exec(entry.trim());
      if (m && m[1]!.toLowerCase() === SERVICE_TYPE) return m[2]!.trim();
    }
  }
  const legacy = header(headers, LEGACY_API_VERSION_HEADER);
  return legacy === undefined ? undefined : legacy.split(',').at(-1)!.trim();
}

/**
 * Negotiates the request's microversion like Request.set_api_version_request:
 * absent → 2.1, "latest" (exactly, case-sensitive) → MAX_VERSION, malformed → 400, out of range → 406.
 * The 406 error carries the version headers for the requested version: Nova stores the parsed
 * version on the request before range-checking it, so its Fault echoes e.g. "compute 2.200".
 * The 400 carries none (the version stays null there).
 */
export function negotiate(headers: HeaderBag): APIVersionRequest {
  const requested = requestedVersionString(headers);
  if (requested === undefined) return DEFAULT_VERSION;
  if (requested === 'latest') return MAX_VERSION;
  const version = APIVersionRequest.parse(requested);
  if (!version.matches(MIN_VERSION, MAX_VERSION)) {
    throw new ApiError(
      406,
      `Version ${version} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`,
      versionHeaders(version),
    );
  }
  return version;
}

/** Headers Nova adds to every versioned response, errors included (wsgi.py Resource._process_stack / Fault). */
export function versionHeaders(version: APIVersionRequest): Record<string, string> {
  return {
    [API_VERSION_HEADER]: `${SERVICE_TYPE} ${version}`,
    [LEGACY_API_VERSION_HEADER]: `${version}`,
    Vary: `${API_VERSION_HEADER}, ${LEGACY_API_VERSION_HEADER}`,
  };
}
