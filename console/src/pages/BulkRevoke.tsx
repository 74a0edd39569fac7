import { useState } from 'react';
import { useMutation } from 'urql';
import { apiErrors, splitErrors } from '../client';
import { graphql, type VariablesOf } from '../graphql';
import { ConfirmDialog, Field } from '../ui';

const RevokeMatching = graphql(`
  mutation RevokeMatching($filter: ApiTokenFilter!, $reason: String) { revokeApiTokens(filter: $filter, reason: $reason) { count capped } }
`);

export type BulkFilter = VariablesOf<typeof RevokeMatching>['filter'];
export interface BulkResult {
  count: number;
  capped: boolean;
}

/** The API revokes at most this many tokens per call (RevokeApiTokensResult.capped says more remain). */
const CAP = 1000;

/**
 * OWNER/ADMIN: revoke every active or disabled token the list's current filter matches, in one call.
 * Loaded only when opened, so the token list (the first screen) stays small.
 */
export default function BulkRevokeDialog({ filter, describe, matching, onClose, onDone }: { filter: BulkFilter; describe: string[]; matching: number | null; onClose: () => void; onDone: (r: BulkResult) => void }) {
  const [reason, setReason] = useState('');
  const [result, revoke] = useMutation(RevokeMatching);
  const { byField, general } = splitErrors(apiErrors(result.error), ['reason']);
  return (
    <ConfirmDialog
      title="Revoke all matching tokens?"
      confirmLabel="Revoke matching tokens"
      busy={result.fetching}
      errors={general.map((message) => ({ message }))}
      onClose={onClose}
      onConfirm={async () => {
        const r = await revoke({ filter, reason: reason.trim() || null }, { additionalTypenames: ['ApiToken', 'ApiTokenAlerts', 'AuditEvent'] });
        if (r.data) onDone(r.data.revokeApiTokens);
      }}
    >
      <p>Every system using these tokens loses access immediately, and revoked tokens cannot be restored. Their owners are told, with your reason.</p>
      <p>The tokens revoked are those matching:</p>
      <ul className="filter-summary">
        {describe.map((d) => (
          <li key={d}>{d}</li>
        ))}
      </ul>
      {matching !== null && (
        <p>
          {matching >= CAP ? `At least ${CAP.toLocaleString('en')}` : matching.toLocaleString('en')} {matching === 1 ? 'token matches' : 'tokens match'} now.
        </p>
      )}
      <p className="hint">At most {CAP.toLocaleString('en')} tokens are revoked per call, oldest first; if more match, you are told and can run it again.</p>
      <Field label="Reason" optional error={byField.reason} hint="Up to 200 characters, recorded with each revocation and shown to the owners.">
        {({ id, describedBy, invalid }) => (
          <textarea id={id} name="reason" className="input" rows={2} aria-describedby={describedBy} aria-invalid={invalid || undefined} value={reason} onChange={(e) => setReason(e.target.value)} />
        )}
      </Field>
    </ConfirmDialog>
  );
}
