import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { apiErrors, splitErrors } from '../client';
import { graphql } from '../graphql';
import { Button, Card, ErrorList, Loading, Notice, PageHeader, Select, TextInput, Unavailable } from '../ui';

const PolicyQuery = graphql(`
  query Policy { account { id name policy { maxActiveTokens tokenCreation defaultTokenLifetimeDays maxTokenLifetimeDays expiryNotificationDays } } }
`);
const UpdatePolicy = graphql(`
  mutation UpdatePolicy($input: AccountPolicyInput!) {
    updateAccountPolicy(input: $input) { maxActiveTokens tokenCreation defaultTokenLifetimeDays maxTokenLifetimeDays expiryNotificationDays }
  }
`);

type Creation = 'ALL_MEMBERS' | 'ADMINS_ONLY' | 'OWNER_ONLY';

export default function Policy() {
  const [result] = useQuery({ query: PolicyQuery });
  const [saveResult, save] = useMutation(UpdatePolicy);
  const [form, setForm] = useState<{ max: string; creation: Creation; def: string; maxLife: string; days: string } | null>(null);
  const [saved, setSaved] = useState(false);
  const [tried, setTried] = useState(false);
  const policy = result.data?.account.policy;
  useEffect(() => {
    document.title = 'Account policy · Tokengate';
  }, []);
  useEffect(() => {
    if (policy && !form)
      setForm({
        max: String(policy.maxActiveTokens),
        creation: policy.tokenCreation as Creation,
        def: policy.defaultTokenLifetimeDays === null ? '' : String(policy.defaultTokenLifetimeDays),
        maxLife: policy.maxTokenLifetimeDays === null ? '' : String(policy.maxTokenLifetimeDays),
        days: policy.expiryNotificationDays.join(', '),
      });
  }, [policy, form]);
  const errors = apiErrors(result.error);
  if (!result.data && result.fetching) return <Loading />;
  if (!policy || !form) return <Unavailable errors={errors} />;
  const { byField, general } = splitErrors(apiErrors(saveResult.error), ['maxActiveTokens', 'tokenCreation', 'defaultTokenLifetimeDays', 'maxTokenLifetimeDays', 'expiryNotificationDays']);
  const local: Record<string, string> = {};
  const num = (v: string) => (v.trim() === '' ? null : Number(v));
  if (!/^\d+$/.test(form.max.trim())) local.max = 'Enter a whole number of tokens.';
  if (form.def.trim() && !/^\d+$/.test(form.def.trim())) local.def = 'Enter a whole number of days, or leave it empty for “never”.';
  if (form.maxLife.trim() && !/^\d+$/.test(form.maxLife.trim())) local.maxLife = 'Enter a whole number of days, or leave it empty for “unlimited”.';
  const days = form.days.split(/[\s,]+/).filter(Boolean);
  if (days.some((d) => !/^\d+$/.test(d))) local.days = 'Enter whole numbers of days separated by commas, e.g. 30, 10, 5, 1, 0.';
  const showLocal = tried;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    setTried(true);
    if (Object.keys(local).length) return;
    const r = await save({
      input: {
        maxActiveTokens: Number(form.max),
        tokenCreation: form.creation,
        defaultTokenLifetimeDays: num(form.def),
        maxTokenLifetimeDays: num(form.maxLife),
        expiryNotificationDays: days.map(Number),
      },
    });
    if (!r.error) setSaved(true);
  };
  return (
    <div className="page">
      <PageHeader title="Account policy" description={`The token rules of ${result.data!.account.name}. They apply to new tokens and regenerations; existing expiry dates are kept.`} />
      <form onSubmit={submit} noValidate>
        <Card title="Token rules">
          <div className="form form-grid">
            <TextInput label="Active tokens allowed" inputMode="numeric" value={form.max} onChange={(e) => setForm({ ...form, max: e.target.value })} error={(showLocal && local.max) || byField.maxActiveTokens} hint="The most ACTIVE tokens the whole account may hold at once." />
            <Select label="Who may create and regenerate tokens" value={form.creation} onChange={(e) => setForm({ ...form, creation: e.target.value as Creation })} error={byField.tokenCreation}>
              <option value="ALL_MEMBERS">Everyone (their own tokens, up to their own role)</option>
              <option value="ADMINS_ONLY">Owners and admins only</option>
              <option value="OWNER_ONLY">Owners only</option>
            </Select>
            <TextInput label="Default lifetime (days)" inputMode="numeric" value={form.def} placeholder="Never expires" onChange={(e) => setForm({ ...form, def: e.target.value })} error={(showLocal && local.def) || byField.defaultTokenLifetimeDays} hint="Preselected when someone creates a token. Empty: tokens never expire by default." />
            <TextInput label="Maximum lifetime (days)" inputMode="numeric" value={form.maxLife} placeholder="Unlimited" onChange={(e) => setForm({ ...form, maxLife: e.target.value })} error={(showLocal && local.maxLife) || byField.maxTokenLifetimeDays} hint="Empty: unlimited, and “never expires” is allowed." />
          </div>
        </Card>
        <Card title="Expiry notifications">
          <div className="form">
            <TextInput label="Notify this many days before expiry" value={form.days} onChange={(e) => setForm({ ...form, days: e.target.value })} error={(showLocal && local.days) || byField.expiryNotificationDays} hint="Comma-separated; 0 means on the day it expires. Owners, admins and the token's owner and issuer are told in the console, and by e-mail if they want." />
          </div>
        </Card>
        <ErrorList errors={general} />
        {saved && <Notice kind="success">Policy saved.</Notice>}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={saveResult.fetching}>
            Save policy
          </Button>
        </div>
      </form>
    </div>
  );
}
