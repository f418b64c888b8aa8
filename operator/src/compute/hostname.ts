// A guest's hostname from a server's display name: Nova's utils.sanitize_hostname, the one copy
// that the gateway (the hostname it shows and stores) and the drivers (a server made with kubectl
// names none) share.

/** nova.utils.sanitize_hostname, without its default: '' when nothing is left. */
export function sanitizeHostname(name: string): string {
  let h = [...name].filter((c) => c.codePointAt(0)! <= 0xff).join(''); // latin-1 only
  h = h.slice(0, 63);
  h = h.replace(/[ _.]/g, '-');
  h = h.replace(/[^\p{L}\p{N}_.-]+/gu, '');
  h = h.toLowerCase();
  return h.replace(/^[.-]+|[.-]+$/g, '');
}

/** The hostname a driver gives a guest whose server names none: 'server' when nothing is left. */
export const guestHostname = (displayName: string): string => sanitizeHostname(displayName) || 'server';
