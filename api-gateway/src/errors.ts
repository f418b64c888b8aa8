// Nova's fault model (nova/api/openstack/wsgi.py: Fault). Every error body is
// {"<faultName>": {"code": N, "message": "..."}} served as application/json; charset=UTF-8.

/**
 * Fault._fault_names, verbatim. Codes not listed (406, 410, 500, 502, ...) are "computeFault":
 * Nova has no notAcceptable/gone names, and 409 is "conflictingRequest", not "conflict".
 */
export const FAULT_NAMES: Readonly<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export const FAULT_CONTENT_TYPE = 'application/json; charset=UTF-8';

/** webob's default explanation for HTTPNotFound, which Nova raises for unrouted paths and unknown versions. */
export const NOT_FOUND_MESSAGE = 'The resource could not be found.';

export function faultName(code: number): string {
  return FAULT_NAMES[code] ?? 'computeFault';
}

export interface FaultDetail {
  code: number;
  message: string;
  retryAfter?: string;
}

/** Builds Nova's fault body. retryAfter is only added for 413/429, as Nova copies it from Retry-After. */
export function faultBody(code: number, message: string, retryAfter?: string): Record<string, FaultDetail> {
  const detail: FaultDetail = { code, message };
  if ((code === 413 || code === 429) && retryAfter) detail.retryAfter = retryAfter;
  return { [faultName(code)]: detail };
}

/** An error the gateway turns into a Nova fault; headers are added to the response (e.g. Retry-After). */
export class ApiError extends Error {
  readonly code: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Services with other error formats (Keystone, Glance) override body() and this. */
  readonly contentType: string = FAULT_CONTENT_TYPE;

  constructor(code: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.headers = headers;
  }

  body(): unknown {
    return faultBody(this.code, this.message, this.headers['Retry-After'] ?? this.headers['retry-after']);
  }
}

/** Nova's message for an exception no handler expected (wsgi.py expected_errors), as a 500 computeFault. */
export function unexpectedErrorMessage(err: unknown): string {
  const cls = err instanceof Error ? err.constructor.name : typeof err;
  return (
    'Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ ' +
    `and attach the Nova API log if possible.\n<class '${cls}'>`
  );
}
