import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link, useLocation, useSearch } from 'wouter';
import { apiErrors, splitErrors } from '../client';
import { BackLink } from '../list';
import { graphql } from '../graphql';
import { SecretPanel } from '../SecretPanel';
import { isAdmin, ROLE_LABEL, ROLES, roleAtMost, useSession, type Role } from '../session';
import { TokenRow } from '../tokens';
import { Button, EmptyState, ErrorList, Loading, PageHeader, Select, TextInput } from '../ui';
import { CREATION_TEXT } from '../rules';
import { accessErrors, parseCidrs, parseRateLimit, RATE_LIMIT_NOT_A_NUMBER, TokenFields, tokenDraft } from '../tokenForm';

const FormData = graphql(`
  query CreateTokenForm($admin: Boolean!) {
    me { id role }
    account { id tokenRules { defaultTokenLifetimeDays maxTokenLifetimeDays tokenCreation canCreateTokens } }
    users(first: 100) @include(if: $admin) { nodes { id name email role status kind } }
    scopes { id name description minRole }
  }
`);

const Create = graphql(
  `
  mutation CreateToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) { secret token { ...TokenRow } }
  }
`,
  [TokenRow],
);

export const DAY_MS = 864e5;
// The rules change with the policy (updateAccountPolicy answers an AccountPolicy), the catalog with its scopes.
const FORM_TYPES = { additionalTypenames: ['AccountPolicy', 'AccountScope', 'User'] };
const PRESETS = [7, 30, 90, 365];

export interface ExpiryChoice {
  value: string;
  label: string;
}

/** The expiry options the account policy allows, the policy's default first and preselected. */
export function expiryChoices(policy: { defaultTokenLifetimeDays: number | null; maxTokenLifetimeDays: number | null } | undefined): { choices: ExpiryChoice[]; initial: string } {
  if (!policy) return { choices: [], initial: '' };
  const max = policy.maxTokenLifetimeDays;
  const def = policy.defaultTokenLifetimeDays;
  const choices: ExpiryChoice[] = PRESETS.filter((d) => max === null || d <= max).map((d) => ({ value: String(d), label: d === def ? `${d} days (account default)` : `${d} days` }));
  if (def !== null && !PRESETS.includes(def) && (max === null || def <= max)) choices.unshift({ value: String(def), label: `${def} days (account default)` });
  choices.push({ value: 'date', label: 'Pick a date…' });
  if (max === null) choices.push({ value: 'never', label: def === null ? 'Never (account default)' : 'Never' });
  const initial = def === null ? (max === null ? 'never' : choices[0].value) : String(def);
  return { choices, initial };
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function CreateToken() {
  const { session } = useSession();
  const admin = isAdmin(session?.user.role);
  const [, navigate] = useLocation();
  const search = useSearch();
  const [data] = useQuery({ query: FormData, variables: { admin }, context: FORM_TYPES });
  const [result, create] = useMutation(Create);
  const [created, setCreated] = useState<{ secret: string; id: string; name: string; username: string } | null>(null);

  const policy = data.data?.account.tokenRules;
  const { choices, initial } = useMemo(() => expiryChoices(policy ?? undefined), [policy]);
  const myRole = (data.data?.me?.role ?? session?.user.role ?? 'READ_ONLY') as Role;
  const users = (data.data?.users?.nodes ?? []).filter((u) => u.status === 'ACTIVE');

  const [draft, setDraft] = useState(tokenDraft);
  const [environment, setEnvironment] = useState('');
  // ?owner= preselects whom the token is for (the Users screen's "Issue token" links here).
  const [ownerId, setOwnerId] = useState(() => new URLSearchParams(search).get('owner') ?? '');
  const [accessLocal, setAccessLocal] = useState<string | undefined>(undefined);
  const [role, setRole] = useState<Role | ''>('');
  const [expiry, setExpiry] = useState<string | null>(null);
  const [date, setDate] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [localError, setLocalError] = useState<string | null>(null);

  useEffect(() => {
    document.title = 'Create token · Tokengate';
  }, []);

  const owner = users.find((u) => u.id === ownerId);
  const cap: Role = owner && !roleAtMost(myRole, owner.role as Role) ? (owner.role as Role) : myRole;
  const roleOptions = ROLES.filter((r) => roleAtMost(r, cap));
  const chosenRole = role && roleAtMost(role, cap) ? role : cap;
  const catalog = (data.data?.scopes ?? []).filter((s) => roleAtMost(s.minRole as Role, cap));
  const choice = expiry ?? initial;
  const max = policy?.maxTokenLifetimeDays ?? null;
  const today = new Date();

  const accessErr = accessErrors(apiErrors(result.error), draft.rateLimit.trim() !== '');
  const { byField, general } = splitErrors(accessErr.rest, ['name', 'description', 'role', 'environment', 'expiresAt', 'neverExpires', 'ownerId', 'scopes']);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setLocalError(null);
    setAccessLocal(undefined);
    const rateLimitPerMinute = parseRateLimit(draft.rateLimit);
    if (rateLimitPerMinute === undefined) {
      setAccessLocal(RATE_LIMIT_NOT_A_NUMBER);
      return;
    }
    const allowedCidrs = parseCidrs(draft.cidrs);
    let expiresAt: string | undefined;
    let neverExpires: boolean | undefined;
    const isDefault = choice === initial;
    if (choice === 'never') neverExpires = true;
    else if (choice === 'date') {
      if (!date) {
        setLocalError('Pick the date the token should expire on.');
        return;
      }
      expiresAt = new Date(`${date}T23:59:59`).toISOString();
    } else if (!isDefault) expiresAt = new Date(Date.now() + Number(choice) * DAY_MS).toISOString();
    const r = await create(
      {
        input: {
          name: draft.name.trim(),
          description: draft.description.trim() || undefined,
          environment: environment.trim() || undefined,
          role: chosenRole,
          // Only OWNER/ADMIN choose an owner (a ?owner= in a member's address is not acted on).
          ownerId: admin && ownerId ? ownerId : undefined,
          expiresAt,
          neverExpires,
          scopes: scopes.length ? scopes : undefined,
          allowedCidrs: allowedCidrs.length ? allowedCidrs : undefined,
          rateLimitPerMinute: rateLimitPerMinute ?? undefined,
        },
      },
      { additionalTypenames: ['ApiToken', 'ApiTokenAlerts'] },
    );
    const out = r.data?.createApiToken;
    if (out) setCreated({ secret: out.secret, id: out.token.id, name: out.token.name, username: out.token.username });
  };

  if (created) {
    return (
      <div className="page">
        <SecretPanel
          secret={created.secret}
          token={created}
          title="Your new token is ready"
          doneLabel="I have copied it — show the token"
          onDone={() => {
            setCreated(null);
            navigate(`/tokens/${created.id}`, { replace: true });
          }}
        />
      </div>
    );
  }

  return (
    <div className="page">
      <PageHeader
        back={
          <BackLink href="/tokens">API tokens</BackLink>
        }
        title="Create an API token"
        description="A token acts as its owner, with the role you give it. Its secret is shown once, on the next screen."
      />
      {data.fetching && !data.data ? (
        <Loading />
      ) : policy && !policy.canCreateTokens ? (
        <EmptyState title="Your role cannot create tokens here" icon="key">
          <p>
            This account lets only {CREATION_TEXT[policy.tokenCreation]} create and regenerate tokens. Ask one of them to issue a token for you{admin ? ', or change the account policy' : ''}.
          </p>
        </EmptyState>
      ) : (
        <form className="form card card-body form-grid" onSubmit={submit} noValidate aria-label="New token">
          <TokenFields draft={draft} onChange={setDraft} errors={{ name: byField.name, description: byField.description, cidrs: accessErr.cidrs, rateLimit: accessLocal ?? accessErr.rateLimit }} admin={admin}>
          {admin && (
            <Select label="Owner" value={ownerId} onChange={(e) => setOwnerId(e.target.value)} error={byField.ownerId} hint="Whom the token acts as. Admins may issue tokens for anyone in the account.">
              <option value="">Me ({session?.user.name})</option>
              {users
                .filter((u) => u.id !== session?.user.id)
                .map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                    {u.kind === 'SERVICE' ? ' — service account' : ` — ${u.email}`} ({ROLE_LABEL[u.role as Role]})
                  </option>
                ))}
            </Select>
          )}
          <Select label="Role" value={chosenRole} onChange={(e) => setRole(e.target.value as Role)} error={byField.role} hint={`Never above ${owner ? 'yours or the owner’s' : 'your own'} (${ROLE_LABEL[cap]}). Read-only tokens can only query.`}>
            {roleOptions.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </Select>
          <TextInput label="Environment" optional name="environment" maxLength={64} value={environment} onChange={(e) => setEnvironment(e.target.value)} error={byField.environment} hint="Scopes the token to one environment (e.g. production); its usage is tracked against it." />
          <Select label="Expires" value={choice} onChange={(e) => setExpiry(e.target.value)} error={byField.expiresAt ?? byField.neverExpires} hint={max !== null ? `Your account allows at most ${max} days.` : undefined}>
            {choices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </Select>
          {choice === 'date' && (
            <TextInput
              label="Expiry date"
              type="date"
              required
              min={isoDate(new Date(today.getTime() + DAY_MS))}
              max={max !== null ? isoDate(new Date(today.getTime() + max * DAY_MS)) : undefined}
              value={date}
              onChange={(e) => setDate(e.target.value)}
              error={localError ?? undefined}
              hint="The token stops working at the end of this day."
            />
          )}
          {catalog.length > 0 && (
            <fieldset className="field fieldset">
              <legend>Catalog scopes <span className="optional">(optional)</span></legend>
              <p className="hint">Custom scopes from your account’s catalog, on top of what the role grants.</p>
              <div className="checks">
                {catalog.map((s) => (
                  <label key={s.id} className="check">
                    <input type="checkbox" checked={scopes.includes(s.name)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s.name] : scopes.filter((x) => x !== s.name))} />
                    <span>
                      <code>{s.name}</code>
                      {s.description && <span className="muted"> — {s.description}</span>}
                    </span>
                  </label>
                ))}
              </div>
              {byField.scopes && <p className="field-error">{byField.scopes}</p>}
            </fieldset>
          )}
          </TokenFields>
          <ErrorList errors={general} />
          <div className="form-actions">
            <Link href="/tokens" className="btn btn-ghost btn-md">
              Cancel
            </Link>
            <Button type="submit" variant="primary" busy={result.fetching}>
              Create token
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}
