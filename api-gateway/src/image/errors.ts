// Glance's error documents: short text ("404 Not Found\n\n<message>\n\n   "), as webob renders them.
import { ApiError } from '../errors.ts';

const TITLES: Record<number, string> = {
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  409: '409 Conflict',
  410: '410 Gone',
  413: '413 Request Entity Too Large',
  415: '415 Unsupported Media Type',
  503: '503 Service Unavailable',
};

/** Glance answers errors as short text documents ("404 Not Found\n\n<message>\n\n   "). */
export class GlanceError extends ApiError {
  override readonly contentType = 'text/plain; charset=UTF-8';
  override body(): unknown {
    return `${TITLES[this.code] ?? this.code}\n\n${this.message}\n\n   `;
  }
}

/** Glance's policy refusal (oslo.policy's PolicyNotAuthorized as Glance words it). */
export const policyRefusal = (action: string): GlanceError =>
  new GlanceError(403, `You are not authorized to complete ${action} action.`);
