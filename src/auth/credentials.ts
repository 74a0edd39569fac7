import { SECRET_PREFIX } from './token-format';

/**
 * What the Authorization header carries. Parsing is pure and bounded: nothing
 * here touches the database, and an oversized header is refused outright.
 */
export type Credential =
  | { kind: 'none' }
  | { kind: 'apiToken'; secret: string; username?: string; scheme: 'APIKey' | 'Bearer' | 'Basic' }
  | { kind: 'session'; jwt: string }
  | { kind: 'malformed'; reason: string };

const MAX_HEADER_LENGTH = 4096;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function parseAuthorization(header: string | string[] | undefined): Credential {
  if (header === undefined) return { kind: 'none' };
  if (Array.isArray(header)) return { kind: 'malformed', reason: 'more than one Authorization header' };
  const value = header.trim();
  if (value === '') return { kind: 'none' };
  if (value.length > MAX_HEADER_LENGTH) return { kind: 'malformed', reason: 'Authorization header too long' };
  const space = value.indexOf(' ');
  if (space < 0) return { kind: 'malformed', reason: 'expected "<scheme> <credentials>"' };
  const scheme = value.slice(0, space).toLowerCase();
  const rest = value.slice(space + 1).trim();
  if (rest === '' || /\s/.test(rest)) return { kind: 'malformed', reason: 'credentials must be a single value' };

  switch (scheme) {
    case 'apikey':
      return { kind: 'apiToken', secret: rest, scheme: 'APIKey' };
    case 'bearer':
      if (rest.startsWith(SECRET_PREFIX)) return { kind: 'apiToken', secret: rest, scheme: 'Bearer' };
      if (JWT_SHAPE.test(rest)) return { kind: 'session', jwt: rest };
      return { kind: 'malformed', reason: 'Bearer value is neither an API token nor a session token' };
    case 'basic': {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(rest)) return { kind: 'malformed', reason: 'Basic credentials are not base64' };
      const decoded = Buffer.from(rest, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return { kind: 'malformed', reason: 'Basic credentials must be username:token' };
      const username = decoded.slice(0, colon);
      const secret = decoded.slice(colon + 1);
      if (username === '' || secret === '') return { kind: 'malformed', reason: 'Basic credentials must be username:token' };
      return { kind: 'apiToken', secret, username, scheme: 'Basic' };
    }
    default:
      return { kind: 'malformed', reason: `unsupported scheme "${value.slice(0, Math.min(space, 20))}"` };
  }
}
