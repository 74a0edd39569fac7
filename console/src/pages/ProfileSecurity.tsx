import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { apiErrors, splitErrors } from '../client';
import { graphql } from '../graphql';
import { signOut } from '../session';
import { Button, Card, ConfirmDialog, ErrorList, Loading, Notice, TextInput, When, formatDateTime } from '../ui';

const ChangePassword = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) { changePassword(currentPassword: $currentPassword, newPassword: $newPassword) }
`);
const SessionsQuery = graphql(`
  query Sessions { sessions { id createdAt lastActiveAt ip userAgent current } }
`);
const RevokeSession = graphql(`
  mutation RevokeSession($id: ID!) { revokeSession(id: $id) }
`);
const RevokeOthers = graphql(`
  mutation RevokeOtherSessions { revokeOtherSessions }
`);

export function PasswordCard() {
  const [form, setForm] = useState({ current: '', next: '', confirm: '' });
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState(false);
  const [result, change] = useMutation(ChangePassword);
  const { byField, general } = splitErrors(apiErrors(result.error), ['currentPassword', 'newPassword']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    if (form.next !== form.confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    const r = await change({ currentPassword: form.current, newPassword: form.next }, { additionalTypenames: ['Session'] });
    if (r.data?.changePassword) {
      setDone(true);
      setForm({ current: '', next: '', confirm: '' });
    }
  };
  return (
    <Card title="Password">
      <form className="form form-narrow" onSubmit={submit} noValidate aria-label="Change password">
        <TextInput label="Current password" type="password" autoComplete="current-password" value={form.current} onChange={(e) => setForm({ ...form, current: e.target.value })} error={byField.currentPassword} />
        <TextInput label="New password" type="password" autoComplete="new-password" value={form.next} onChange={(e) => setForm({ ...form, next: e.target.value })} error={byField.newPassword} hint="At least 12 characters." />
        <TextInput label="Repeat the new password" type="password" autoComplete="new-password" value={form.confirm} onChange={(e) => setForm({ ...form, confirm: e.target.value })} error={mismatch ? 'The two new passwords differ.' : undefined} />
        <ErrorList errors={general} />
        {done && <Notice kind="success">Password changed. Every other session was signed out; your API tokens keep working.</Notice>}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={result.fetching}>
            Change password
          </Button>
        </div>
      </form>
    </Card>
  );
}

function describeAgent(ua: string | null): string {
  if (!ua) return 'Unknown client';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : /curl\//.test(ua) ? 'curl' : /node|undici/i.test(ua) ? 'Script (Node.js)' : 'Other client';
  const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}

const SESSION_TYPES = { additionalTypenames: ['Session'] };

export function SessionsCard() {
  const [result] = useQuery({ query: SessionsQuery, context: SESSION_TYPES });
  const [revokeResult, revoke] = useMutation(RevokeSession);
  const [othersResult, revokeOthers] = useMutation(RevokeOthers);
  const [confirmOthers, setConfirmOthers] = useState(false);
  const [ended, setEnded] = useState<number | null>(null);
  const sessions = result.data?.sessions ?? [];
  const others = sessions.filter((s) => !s.current);
  return (
    <Card
      title="Where you are signed in"
      actions={
        others.length > 0 && (
          <Button variant="danger" size="sm" onClick={() => setConfirmOthers(true)}>
            Sign out everywhere else
          </Button>
        )
      }
    >
      {!result.data && result.fetching && <Loading />}
      <ErrorList errors={[...apiErrors(result.error), ...apiErrors(revokeResult.error)]} />
      {ended !== null && <Notice kind="success">{ended === 1 ? 'One other session was signed out.' : `${ended} other sessions were signed out.`}</Notice>}
      <ul className="sessions">
        {sessions.map((s) => (
          <li key={s.id} className="session">
            <div>
              <p className="strong">
                {describeAgent(s.userAgent)} {s.current && <span className="badge badge-active">This browser</span>}
              </p>
              <p className="sub">
                {s.ip ? <code>{s.ip}</code> : 'Unknown address'} · signed in {formatDateTime(s.createdAt)} · active <When iso={s.lastActiveAt} />
              </p>
            </div>
            {s.current ? (
              <Button size="sm" variant="ghost" onClick={() => void signOut()}>
                Sign out
              </Button>
            ) : (
              <Button size="sm" variant="ghost" busy={revokeResult.fetching} onClick={() => void revoke({ id: s.id }, { additionalTypenames: ['Session'] })} aria-label={`Sign out ${describeAgent(s.userAgent)} from ${s.ip ?? 'an unknown address'}`}>
                Sign out
              </Button>
            )}
          </li>
        ))}
      </ul>
      {confirmOthers && (
        <ConfirmDialog
          title="Sign out everywhere else?"
          confirmLabel="Sign out other sessions"
          busy={othersResult.fetching}
          errors={apiErrors(othersResult.error)}
          onClose={() => setConfirmOthers(false)}
          onConfirm={async () => {
            const r = await revokeOthers({}, { additionalTypenames: ['Session'] });
            if (r.data) {
              setEnded(r.data.revokeOtherSessions);
              setConfirmOthers(false);
            }
          }}
        >
          <p>
            {others.length === 1 ? 'The other session' : `The ${others.length} other sessions`} end at once. This browser stays signed in; API tokens are not affected.
          </p>
        </ConfirmDialog>
      )}
    </Card>
  );
}
